/// <reference lib="dom" />
// The application every page of the page-weight benchmark runs (bench/page-weight.mjs): a button
// that places an order with fetch and shows the answer. Its tags are comments unless spanweave's
// plugin builds it. Each page calls start() once its tracing is set up (a bare import would be
// dropped: the repository's package.json says its files have no side effects).

/** @traced http.client */
async function placeOrder(item: string): Promise<{ id: string }> {
  const response = await fetch('/api/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item }) });
  if (!response.ok) throw new Error(`order failed: ${response.status}`);
  return response.json();
}

/** @traced name=order.click */
async function onOrder(): Promise<void> {
  const result = document.querySelector('#result')!;
  try {
    const { id } = await placeOrder('tea');
    result.textContent = `Order ${id} placed`;
  } catch (error) {
    result.textContent = String(error);
  }
}

export function start(): void {
  document.querySelector('#order')!.addEventListener('click', onOrder);
}

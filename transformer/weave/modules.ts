import type { Expression, Node, Program } from 'oxc-parser';
import { unwrap } from './syntax.js';

/** What a file's top level binds to other modules: by `import`, `import x = require`, or `require` (as CommonJS output writes it too). */
export interface ModuleBindings {
  /** A local name for a whole module: namespace, default or `require` binding. */
  readonly modules: ReadonlyMap<string, string>;
  /** A local name for one export of a module. */
  readonly named: ReadonlyMap<string, { readonly module: string; readonly imported: string }>;
  /** Every module the file imports or requires. */
  readonly specifiers: ReadonlySet<string>;
  /** Local names imported as types only (`import type`, `import { type X }`): no value at run time. */
  readonly typeOnly: ReadonlySet<string>;
}

export function moduleBindings(program: Program, text: string): ModuleBindings {
  const modules = new Map<string, string>();
  const named = new Map<string, { module: string; imported: string }>();
  const specifiers = new Set<string>();
  const typeOnly = new Set<string>();
  for (const statement of program.body) {
    if (statement.type === 'ImportDeclaration') {
      const module = statement.source.value;
      specifiers.add(module);
      for (const specifier of statement.specifiers) {
        if (statement.importKind === 'type' || (specifier.type === 'ImportSpecifier' && specifier.importKind === 'type')) typeOnly.add(specifier.local.name);
        if (specifier.type === 'ImportSpecifier') named.set(specifier.local.name, { module, imported: nameOf(specifier.imported) });
        else modules.set(specifier.local.name, module);
      }
    } else if (statement.type === 'TSImportEqualsDeclaration' && statement.moduleReference.type === 'TSExternalModuleReference') {
      specifiers.add(statement.moduleReference.expression.value);
      modules.set(statement.id.name, statement.moduleReference.expression.value);
    } else if (statement.type === 'VariableDeclaration' && mayRequire(text.slice(statement.start, statement.end))) {
      for (const declaration of statement.declarations) {
        const module = declaration.init ? requiredModule(declaration.init) : undefined;
        if (module === undefined) continue;
        specifiers.add(module);
        if (declaration.id.type === 'Identifier') modules.set(declaration.id.name, module);
        else if (declaration.id.type === 'ObjectPattern') {
          for (const property of declaration.id.properties) {
            if (property.type === 'Property' && !property.computed && property.value.type === 'Identifier') named.set(property.value.name, { module, imported: nameOf(property.key) });
          }
        }
      }
    }
  }
  return { modules, named, specifiers, typeOnly };
}

/** Whether a declaration's text may call `require` (spelled out, or with an escape in the name): most do not, and are then not read (weave/parse.ts leaves them unparsed). */
const mayRequire = (declaration: string): boolean => declaration.includes('require') || declaration.includes('\\u');

/** `require("m")`, or a helper call around it (`__importStar(require("m"))`); no deeper. */
function requiredModule(init: Expression): string | undefined {
  const call = unwrap(init);
  if (call.type !== 'CallExpression') return undefined;
  const [first] = call.arguments;
  if (call.callee.type === 'Identifier' && call.callee.name === 'require') return first?.type === 'Literal' && typeof first.value === 'string' ? first.value : undefined;
  for (const argument of call.arguments) {
    const module = argument.type === 'SpreadElement' ? undefined : requiredModule(argument);
    if (module !== undefined) return module;
  }
  return undefined;
}

function nameOf(node: Node): string {
  if (node.type === 'Identifier') return node.name;
  return node.type === 'Literal' ? String(node.value) : '';
}

/**
 * The module and export a callee names: `f` imported by name, `ns.f` of a module binding, or
 * `(0, ns.f)` as CommonJS output calls an import.
 */
export function importedCallee(callee: Expression, bindings: ModuleBindings): { module: string; name: string } | undefined {
  let target = unwrap(callee);
  if (target.type === 'SequenceExpression' && target.expressions.length === 2 && target.expressions[0]?.type === 'Literal') target = unwrap(target.expressions[1]!);
  if (target.type === 'Identifier') {
    const found = bindings.named.get(target.name);
    return found && { module: found.module, name: found.imported };
  }
  if (target.type === 'MemberExpression' && !target.computed && target.object.type === 'Identifier') {
    const module = bindings.modules.get(target.object.name);
    return module === undefined ? undefined : { module, name: (target.property as { name: string }).name };
  }
  return undefined;
}

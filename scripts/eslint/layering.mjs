// ESLint plugin `layering`: the architecture as a rule (DESIGN.md "Shape of the code").
// `layering/imports` resolves every import (static, dynamic, require, export-from) to a
// repository path or a package name and reports the ones its options forbid for the file being
// linted. Relative paths are resolved, so `../vscode/x` from src/core is caught as src/vscode/x;
// a pattern on the specifier text alone (no-restricted-imports) cannot see that.
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Node's built-in modules, with and without `node:` (a browser bundle has none of them). */
export const NODE_BUILTINS = `^(node:.*|${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})(\\/.*)?$`;

/** Repository-relative POSIX path of what `specifier` names from `file`, or undefined for a package. */
function targetPath(file, specifier) {
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) return undefined;
  const abs = resolve(dirname(file), specifier);
  return relative(repoRoot, abs).split(sep).join('/');
}

/** `src/core/x` names src/core/x.ts, src/core/x/index.ts or the folder itself. */
function underPath(target, prefix) {
  if (prefix.endsWith('/')) return target === prefix.slice(0, -1) || target.startsWith(prefix);
  const bare = prefix.replace(/\.(ts|mjs|js)$/, '');
  return target === prefix || target === bare || target === `${bare}/index`;
}

/** True when the import brings in types only (erased by esbuild: nothing loads at run time). */
function typeOnly(node) {
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  const specs = node.specifiers ?? [];
  return specs.length > 0 && specs.every((s) => s.importKind === 'type' || s.exportKind === 'type');
}

function violation(rule, { target, specifier, isTypeOnly }) {
  if (rule.allowTypeImports && isTypeOnly) return false;
  if (rule.module !== undefined) return target === undefined && new RegExp(rule.module).test(specifier);
  if (rule.path === undefined || target === undefined || !underPath(target, rule.path)) return false;
  return !(rule.except ?? []).some((e) => underPath(target, e));
}

const importsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Layering: which modules a file may import (DESIGN.md "Shape of the code")' },
    schema: [
      {
        type: 'object',
        properties: {
          forbid: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                module: { type: 'string', description: 'RegExp over a package specifier' },
                path: { type: 'string', description: 'repository path: `dir/` for a folder, else one module' },
                except: { type: 'array', items: { type: 'string' } },
                allowTypeImports: { type: 'boolean' },
                message: { type: 'string' },
              },
              required: ['message'],
              additionalProperties: false,
            },
          },
        },
        required: ['forbid'],
        additionalProperties: false,
      },
    ],
    messages: { forbidden: '"{{specifier}}" may not be imported here: {{message}}' },
  },
  create(context) {
    const { forbid } = context.options[0];
    const check = (node, source, isTypeOnly) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const specifier = source.value;
      const target = targetPath(context.filename, specifier);
      const rule = forbid.find((r) => violation(r, { target, specifier, isTypeOnly }));
      if (rule) context.report({ node: source, messageId: 'forbidden', data: { specifier, message: rule.message } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source, typeOnly(node)),
      ExportNamedDeclaration: (node) => check(node, node.source, typeOnly(node)),
      ExportAllDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ImportExpression: (node) => check(node, node.source, false),
      TSImportEqualsDeclaration: (node) => check(node, node.moduleReference?.expression, node.importKind === 'type'),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, node.arguments[0], false);
      },
    };
  },
};

export default { meta: { name: 'layering' }, rules: { imports: importsRule } };

// svelte-package stages its output in `<kit.outDir>/__package__` (by default `.svelte-kit`, a SvelteKit app's own
// directory) and leaves it there: under node_modules it stays out of git, the linter and the formatter.
export default { kit: { outDir: 'node_modules/.cache/svelte-package' } };

import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** TypeScript in `<script lang="ts">`, checked by `npm run check`. */
export default {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
};

/**
 * import() of a package the bundle leaves out (vega, resvg, the tokenizer, node-llama-cpp). The CLI
 * bundle runs as a code-cached vm.Script (src/build/script-runner.ts), where Node 20 loses import()'s
 * callback once the code comes from the cache (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), so its
 * loader passes in an import of its own as __pdsimImport; from sources and ES-module bundles this
 * is the plain import().
 */
declare const __pdsimImport: ((specifier: string) => Promise<unknown>) | undefined;

export function importExternal<T>(specifier: string): Promise<T> {
  // typeof: the name exists only as a parameter of the CLI script's wrapper.
  return (typeof __pdsimImport === 'function' ? __pdsimImport(specifier) : import(specifier)) as Promise<T>;
}

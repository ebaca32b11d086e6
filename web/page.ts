// Stands for the built page. web/esbuild-plugin.js (registered in serverless.yml under
// custom.esbuild.plugins) replaces this module when serverless-esbuild bundles functions/web.ts,
// so `serverless offline` and `serverless package` both serve the page built from web/ with no
// generated file in the repository. Anything that loads this source directly gets a clear error.

export interface BuiltPage {
  /** The whole page: web/index.html with web/style.css and the bundled web/app.ts inlined. */
  html: string;
  /** Allows exactly the inlined script and style (by hash) and calls to this origin. */
  contentSecurityPolicy: string;
}

function notBuilt(): never {
  throw new Error('web/page.ts is replaced at bundle time by web/esbuild-plugin.js; bundle functions/web.ts with serverless-esbuild (npm start, serverless package)');
}

export const page: BuiltPage = notBuilt();

import { httpHandler } from '../lib/http';
import { page } from '../web/page';

// GET /: the live web view. The page (web/index.html, web/style.css and web/app.ts bundled for
// the browser) is built into this function by web/esbuild-plugin.js; it polls GET /view.
export const handler = httpHandler(async () => ({
  statusCode: 200,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-cache',
    'content-security-policy': page.contentSecurityPolicy,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  },
  body: page.html,
}));

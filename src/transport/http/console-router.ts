import fs from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response } from 'express';

/** Where `npm run build` writes the console's assets (index.html, console.js, console.css). */
export const CONSOLE_ASSETS_DIR = path.resolve(__dirname, '../../../console');

/**
 * The console's own policy: scripts, styles and API calls from this origin only; no inline script, no eval, no
 * framing, no forms posted anywhere, no plugins.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const ASSETS = new Set(['console.js', 'console.css', 'favicon.svg']);

/**
 * Serves the auditor console at /console/: its assets by name, and index.html for every other path under it
 * (each page's URL is stable and opens the console on that page). No token is needed to load the assets; the
 * console asks for one and calls the REST API with it.
 */
export function consoleRouter(assetsDir: string): express.Router {
  const router = express.Router();
  const index = path.join(assetsDir, 'index.html');
  router.use((req: Request, res: Response, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    res.setHeader('content-security-policy', CONSOLE_CSP);
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-content-type-options', 'nosniff');
    if (req.originalUrl.split('?')[0] === '/console') {
      res.redirect(301, '/console/');
      return;
    }
    const name = req.path.replace(/^\//, '');
    if (ASSETS.has(name)) {
      res.sendFile(path.join(assetsDir, name), { dotfiles: 'deny' });
      return;
    }
    if (!fs.existsSync(index)) {
      res.status(503).type('text/plain').send('the console is not built: run `npm run build`, or set CONSOLE=false');
      return;
    }
    res.type('html').sendFile(index);
  });
  return router;
}

import assert from 'node:assert/strict';
import { contentSecurityPolicy, renderPanelHtml } from '../../../extension/panels/html';
import { restoreState } from '../../../webviews/common/state';
import { HostClient, RequestError, type MessageTarget } from '../../../webviews/common/client';
import type { VsCodeApi } from '../../../webviews/common/vscode-api';
import { makeRun } from '../../e2e/panels/fixtures';

describe('webviews: panel HTML, saved state and the webview client', () => {
  it('writes a strict CSP with the nonce, and refuses a weak nonce', () => {
    const html = renderPanelHtml({ kind: 'runs', title: 'Runs <x>', cspSource: 'https://file+.vscode-resource.vscode-cdn.net', nonce: 'abcdefghijklmnop1234', scriptUri: 'https://x/runs.js', styleUri: 'https://x/common.css', codiconsUri: 'https://x/codicons/codicon.css' });
    assert.match(html, /script-src 'nonce-abcdefghijklmnop1234'/);
    assert.match(html, /<script nonce="abcdefghijklmnop1234" src="https:\/\/x\/runs.js">/);
    assert.match(html, /id="vscode-codicon-stylesheet"/);
    assert.match(html, /<title>Runs &lt;x&gt;<\/title>/);
    const csp = contentSecurityPolicy('https://r', 'n');
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /default-src 'none'/);
    assert.throws(() => renderPanelHtml({ kind: 'runs', title: 't', cspSource: 's', nonce: 'short', scriptUri: '', styleUri: '', codiconsUri: '' }), /nonce/);
  });

  it('restores saved state field by field, ignoring what does not fit', () => {
    const defaults = { open: '', scroll: {} as Record<string, number>, tab: 0, list: [] as string[] };
    assert.deepEqual(restoreState(undefined, defaults), defaults);
    assert.deepEqual(restoreState({ open: 'PO-1', scroll: { a: 3 }, tab: 'x', list: 'no', extra: 1 }, defaults), { open: 'PO-1', scroll: { a: 3 }, tab: 0, list: [] });
    assert.deepEqual(restoreState([1], defaults), defaults);
  });

  it('matches answers to requests, rejects errors and malformed answers, and dispatches notifications', async () => {
    const posted: unknown[] = [];
    let listener: (e: MessageEvent) => void = () => undefined;
    const target: MessageTarget = { addEventListener: (_t, l) => (listener = l) };
    const api: VsCodeApi = { postMessage: (m) => void posted.push(m), getState: () => undefined, setState: (s) => s };
    const client = new HostClient(api, target);
    const problems: string[] = [];
    client.onProtocolError = (m) => problems.push(m);
    const deliver = (data: unknown) => listener({ data } as MessageEvent);

    client.ready('runs');
    assert.deepEqual(posted[0], { kind: 'ready', panel: 'runs' });
    const run = makeRun();
    const ok = client.request('run/cancel', { id: run.id });
    deliver({ kind: 'response', id: (posted[1] as { id: number }).id, ok: true, result: run });
    assert.equal((await ok).id, run.id);

    const failing = client.request('card/move', { key: 'PO-1', ifVersion: 1, lane: 'done', position: 1 });
    deliver({ kind: 'response', id: (posted[2] as { id: number }).id, ok: false, error: { code: 'conflict', message: 'no', details: { currentVersion: 2 } } });
    await assert.rejects(failing, (e: RequestError) => e.code === 'conflict' && (e.details as { currentVersion: number }).currentVersion === 2);

    const malformed = client.request('run/cancel', { id: run.id });
    deliver({ kind: 'response', id: (posted[3] as { id: number }).id, ok: true, result: { id: 1 } });
    await assert.rejects(malformed, (e: RequestError) => e.code === 'bad_message' && /run\/cancel answered with/.test(e.message));

    const seen: string[] = [];
    client.on('run/changed', (n) => seen.push(n.run.id));
    deliver({ kind: 'notification', type: 'run/changed', run });
    deliver({ kind: 'notification', type: 'run/changed', run: { id: 'broken' } });
    deliver({ kind: 'response', id: 424242, ok: true, result: null });
    assert.deepEqual(seen, [run.id]);
    assert.equal(problems.length, 2);
    assert.match(problems[1], /malformed.*run\/changed/);
  });
});

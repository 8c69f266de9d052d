/**
 * The board from the palette and the Cards view: New Card (from the editor's selection when
 * there is one), Archive Card and Restore Card. Each is a cards.* run, like a change on the board.
 */
import * as vscode from 'vscode';
import type { Card } from '../../contracts/rest';
import type { Services } from '../services';
import { showFailure } from '../ui';
import { BackendRequestError, settle } from '../../contracts/client';
import { cardKeyOf } from './tool-commands';

const t = vscode.l10n.t;
const MAX_TITLE = 300;

/** A card to write down from a selection: its first line as the title, the text and where it is from. */
export function cardFromSelection(text: string, where: string): { title: string; description: string } | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  const firstLine = trimmed.split(/\r?\n/, 1)[0].trim();
  const title = firstLine.length > MAX_TITLE ? `${firstLine.slice(0, MAX_TITLE - 1)}…` : firstLine;
  const fence = trimmed.includes('```') ? '~~~' : '```';
  return { title, description: `From ${where}:\n\n${fence}\n${trimmed}\n${fence}\n` };
}

/** Runs a cards.* tool and answers with the card, or shows why it failed. */
async function writeCard(s: Services, tool: string, input: Record<string, unknown>, what: string): Promise<Card | undefined> {
  try {
    const run = await s.api.call('createRun', { body: { tool, input } });
    const done = await settle((args, signal) => s.api.call('waitRun', args, signal), run);
    if (done.status !== 'succeeded') {
      // The run's own error (a conflict, an unknown lane), shown as the backend's words.
      if (done.error) throw new BackendRequestError(0, done.error.code, done.error.message, done.error.details);
      throw new Error(t('{0} ended {1}', tool, done.status));
    }
    return (done.output as { card: Card }).card;
  } catch (err) {
    await showFailure(err, what);
    return undefined;
  }
}

export async function newCard(s: Services): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
  const where = editor ? `${vscode.workspace.asRelativePath(editor.document.uri)}:${editor.selection.start.line + 1}` : '';
  const fromSelection = cardFromSelection(selected, where);
  const title = await vscode.window.showInputBox({
    title: t('New Card'),
    prompt: fromSelection ? t('Title of the new card (the selection goes in its description)') : t('Title of the new card'),
    value: fromSelection?.title ?? '',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim().length === 0 ? t('A card needs a title.') : v.trim().length > MAX_TITLE ? t('At most {0} characters.', MAX_TITLE) : undefined),
  });
  if (title === undefined) return;
  let lanes;
  try {
    lanes = (await s.api.call('listLanes', {})).lanes;
  } catch (err) {
    return showFailure(err, t('New Card'));
  }
  const lane = await vscode.window.showQuickPick(
    lanes.map((l) => ({ label: l.name, id: l.id })),
    { title: t('New Card: lane'), placeHolder: t('Which lane does it start in?'), ignoreFocusOut: true },
  );
  if (!lane) return;
  const card = await writeCard(s, 'cards.create', { title: title.trim(), lane: lane.id, ...(fromSelection ? { description: fromSelection.description } : {}) }, t('New Card'));
  if (!card) return;
  const open = t('Open Board');
  if ((await vscode.window.showInformationMessage(t('Added {0} to {1}.', card.key, lane.label), open)) === open) {
    await vscode.commands.executeCommand('productOs.open.kanban', { cardKey: card.key });
  }
}

export const archiveCard = (s: Services, arg?: unknown) => setArchived(s, arg, true);
export const restoreCard = (s: Services, arg?: unknown) => setArchived(s, arg, false);

/** Archive or restore the card of a tree item (or a key), else one picked from the board or the archive. */
async function setArchived(s: Services, arg: unknown, archived: boolean): Promise<void> {
  const what = archived ? t('Archive Card') : t('Restore Card');
  const key = cardKeyOf(arg) ?? (await pickCard(s, !archived, what));
  if (!key) return;
  let card: Card;
  try {
    card = await s.api.call('getCard', { params: { key } });
  } catch (err) {
    return showFailure(err, what);
  }
  const done = await writeCard(s, archived ? 'cards.archive' : 'cards.restore', { card_key: key, if_version: card.version }, what);
  if (done) vscode.window.setStatusBarMessage(archived ? t('Archived {0}', key) : t('Restored {0}', key), 4000);
}

async function pickCard(s: Services, archived: boolean, title: string): Promise<string | undefined> {
  let cards: Card[];
  try {
    cards = (await s.api.call('listCards', { query: { archived } })).cards;
  } catch (err) {
    await showFailure(err, title);
    return undefined;
  }
  if (cards.length === 0) {
    await vscode.window.showInformationMessage(archived ? t('No card is archived.') : t('The board has no cards yet.'));
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    cards.map((c) => ({ label: c.key, description: c.title, key: c.key })),
    { title, matchOnDescription: true, ignoreFocusOut: true },
  );
  return picked?.key;
}

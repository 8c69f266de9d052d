/** The activity-bar views, the status bar, and the context key the welcome views read. */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { CardsTree } from './cards-tree';
import { RunsTree } from './runs-tree';
import { ServicesTree } from './services-tree';
import { createStatusBar } from './status-bar';

export function registerViews(context: vscode.ExtensionContext, s: Services): void {
  const cards = new CardsTree(s);
  const runs = new RunsTree(s);
  const cardsView = vscode.window.createTreeView('productOs.cards', { treeDataProvider: cards, showCollapseAll: true });
  const runsView = vscode.window.createTreeView('productOs.runs', { treeDataProvider: runs });
  const services = new ServicesTree(s);
  const servicesView = vscode.window.createTreeView('productOs.services', { treeDataProvider: services });
  services.view = servicesView;
  cards.view = cardsView;
  runs.view = runsView;

  const setContext = (state: string) => void vscode.commands.executeCommand('setContext', 'productOs.backendState', state);
  setContext(s.state().kind);
  let last = s.state().kind;
  context.subscriptions.push(
    cards,
    cardsView,
    runsView,
    createStatusBar(s),
    vscode.commands.registerCommand('productOs.refreshCards', () => cards.refresh()),
    services,
    servicesView,
    vscode.commands.registerCommand('productOs.refreshServices', () => services.refresh()),
    s.onDidChangeState((st) => {
      setContext(st.kind);
      // Views re-read once a backend is ready again (or show the welcome view when it failed).
      if ((st.kind === 'ready' && last !== 'ready') || st.kind === 'failed') {
        cards.refresh();
        runs.refreshSoon();
        services.refresh();
      }
      last = st.kind;
    }),
  );
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('productOs.board.lanes')) cards.refresh();
    }),
  );
}

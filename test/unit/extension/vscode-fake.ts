/**
 * A small fake of the `vscode` module for unit tests: enough of the API the extension uses,
 * with a `fake` controller to script answers (quick picks, input boxes, messages) and to look
 * at what was registered. Installed by ./vscode-hook.ts.
 */
import { format } from '../../../extension/i18n';

type Listener<T> = (e: T) => unknown;

export class Disposable {
  constructor(private readonly fn: () => void = () => {}) {}
  static from(...ds: Array<{ dispose(): unknown }>): Disposable {
    return new Disposable(() => ds.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}
export class ThemeColor {
  constructor(readonly id: string) {}
}
export class MarkdownString {
  constructor(public value = '') {}
}
export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}
export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: unknown;
  contextValue?: string;
  iconPath?: unknown;
  command?: unknown;
  constructor(
    public label: string,
    public collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {}
}
export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}
export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}
export enum ExtensionMode {
  Production = 1,
  Development = 2,
  Test = 3,
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
    private readonly text: string,
  ) {}
  static parse(value: string): Uri {
    return new Uri(value.split(':')[0], '', value);
  }
  static file(p: string): Uri {
    return new Uri('file', p, `file://${p}`);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return Uri.file([base.fsPath, ...parts].join('/'));
  }
  toString(): string {
    return this.text;
  }
}

class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {}
}
export { CancellationTokenSource };

export interface LogEntry {
  level: string;
  message: string;
}

function logChannel(name: string) {
  const lines: LogEntry[] = [];
  const at = (level: string) => (message: string) => lines.push({ level, message });
  return {
    name,
    lines,
    logLevel: 2,
    onDidChangeLogLevel: new EventEmitter<number>().event,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: (m: string | Error) => lines.push({ level: 'error', message: String(m) }),
    append: at('append'),
    appendLine: at('append'),
    replace: at('append'),
    clear: () => (lines.length = 0),
    show: () => fake.shown.push(name),
    hide: () => {},
    dispose: () => {},
  };
}

export type Answer = unknown | ((items: unknown, options: unknown) => unknown);

/** Test controller: scripted answers and what the extension did. */
export const fake = {
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  executed: [] as Array<{ id: string; args: unknown[] }>,
  messages: [] as Array<{ level: 'info' | 'warning' | 'error'; message: string; items: unknown[] }>,
  /** Answers for showInformation/Warning/ErrorMessage, in order (undefined: dismissed). */
  messageAnswers: [] as Answer[],
  quickPickAnswers: [] as Answer[],
  inputBoxAnswers: [] as Answer[],
  quickPicks: [] as Array<{ items: unknown[]; options: unknown }>,
  inputBoxes: [] as Array<{ options: Record<string, unknown> }>,
  progress: [] as Array<{ title?: string; reports: unknown[]; cancel: () => void }>,
  settings: new Map<string, unknown>(),
  trusted: true,
  trustGranted: new EventEmitter<void>(),
  configChanged: new EventEmitter<{ affectsConfiguration(section: string): boolean }>(),
  clipboard: '',
  shown: [] as string[],
  channels: [] as Array<ReturnType<typeof logChannel>>,
  statusItems: [] as Array<Record<string, unknown>>,
  treeViews: new Map<string, { treeDataProvider: unknown; message?: string }>(),
  documents: [] as Array<{ language?: string; content?: string }>,
  context: new Map<string, unknown>(),
  appName: 'Visual Studio Code',
  /** Other extensions' exports by id (vscode.extensions.getExtension), e.g. 'vscode.git'. */
  extensionExports: new Map<string, unknown>(),
  reset(): void {
    this.commands.clear();
    this.executed = [];
    this.messages = [];
    this.messageAnswers = [];
    this.quickPickAnswers = [];
    this.inputBoxAnswers = [];
    this.quickPicks = [];
    this.inputBoxes = [];
    this.progress = [];
    this.settings.clear();
    this.trusted = true;
    this.clipboard = '';
    this.shown = [];
    this.channels = [];
    this.statusItems = [];
    this.treeViews.clear();
    this.documents = [];
    this.context.clear();
    this.appName = 'Visual Studio Code';
    this.extensionExports.clear();
    (lm as Record<string, unknown>).registerMcpServerDefinitionProvider = undefined;
  },
};

function answer(list: Answer[], items: unknown, options: unknown): unknown {
  const a = list.shift();
  return typeof a === 'function' ? (a as (i: unknown, o: unknown) => unknown)(items, options) : a;
}

function message(level: 'info' | 'warning' | 'error') {
  return async (msg: string, ...rest: unknown[]) => {
    const items = rest.filter((r) => typeof r === 'string');
    fake.messages.push({ level, message: msg, items });
    return answer(fake.messageAnswers, items, rest[0]);
  };
}

export const window = {
  createOutputChannel: (name: string) => {
    const ch = logChannel(name);
    fake.channels.push(ch);
    return ch;
  },
  createStatusBarItem: (id?: string) => {
    const item: Record<string, unknown> = { id, text: '', show: () => (item.visible = true), hide: () => (item.visible = false), dispose: () => {} };
    fake.statusItems.push(item);
    return item;
  },
  createTreeView: (id: string, options: { treeDataProvider: unknown }) => {
    const view = { treeDataProvider: options.treeDataProvider, message: undefined as string | undefined, dispose: () => {} };
    fake.treeViews.set(id, view);
    return view;
  },
  registerWebviewPanelSerializer: () => new Disposable(),
  showInformationMessage: message('info'),
  showWarningMessage: message('warning'),
  showErrorMessage: message('error'),
  showQuickPick: async (items: unknown, options: unknown) => {
    const list = await items;
    fake.quickPicks.push({ items: list as unknown[], options });
    return answer(fake.quickPickAnswers, list, options);
  },
  showInputBox: async (options: Record<string, unknown>) => {
    fake.inputBoxes.push({ options });
    return answer(fake.inputBoxAnswers, undefined, options);
  },
  withProgress: async <R>(options: { title?: string }, task: (p: { report(v: unknown): void }, token: unknown) => Promise<R>) => {
    const source = new CancellationTokenSource();
    const entry = { title: options.title, reports: [] as unknown[], cancel: () => source.cancel() };
    fake.progress.push(entry);
    return task({ report: (v) => entry.reports.push(v) }, source.token);
  },
  showTextDocument: async () => undefined,
};

export const commands = {
  registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
    if (fake.commands.has(id)) throw new Error(`command ${id} already registered`);
    fake.commands.set(id, fn);
    return new Disposable(() => fake.commands.delete(id));
  },
  executeCommand: async (id: string, ...args: unknown[]) => {
    fake.executed.push({ id, args });
    if (id === 'setContext') {
      fake.context.set(args[0] as string, args[1]);
      return undefined;
    }
    return fake.commands.get(id)?.(...args);
  },
  getCommands: async () => [...fake.commands.keys()],
};

export const workspace = {
  getConfiguration: (section?: string) => ({
    get: <T>(key: string, dflt?: T) => {
      const full = section ? `${section}.${key}` : key;
      return (fake.settings.has(full) ? fake.settings.get(full) : dflt) as T;
    },
    has: (key: string) => fake.settings.has(section ? `${section}.${key}` : key),
    update: async () => undefined,
  }),
  get isTrusted() {
    return fake.trusted;
  },
  onDidGrantWorkspaceTrust: fake.trustGranted.event,
  onDidChangeConfiguration: fake.configChanged.event,
  workspaceFolders: undefined as unknown,
  openTextDocument: async (options: { language?: string; content?: string }) => {
    fake.documents.push(options);
    return options;
  },
};

export const env = {
  get appName() {
    return fake.appName;
  },
  clipboard: {
    writeText: async (text: string) => {
      fake.clipboard = text;
    },
    readText: async () => fake.clipboard,
  },
};

export const l10n = { t: format };

export const extensions = {
  getExtension: (id: string) => {
    if (!fake.extensionExports.has(id)) return undefined;
    const exports = fake.extensionExports.get(id);
    return { id, isActive: true, exports, activate: async () => exports };
  },
};

export const lm: Record<string, unknown> = {};

/** A fake ExtensionContext around a storage folder. */
export function fakeContext(root: string, storage: string) {
  const secrets = new Map<string, string>();
  return {
    subscriptions: [] as Array<{ dispose(): unknown }>,
    globalStorageUri: Uri.file(storage),
    extensionUri: Uri.file(root),
    extensionPath: root,
    extensionMode: ExtensionMode.Test,
    asAbsolutePath: (p: string) => `${root}/${p}`,
    secrets: {
      get: async (k: string) => secrets.get(k),
      store: async (k: string, v: string) => void secrets.set(k, v),
      delete: async (k: string) => void secrets.delete(k),
      onDidChange: new EventEmitter<unknown>().event,
    },
    extension: { packageJSON: { version: '0.1.0' } },
  };
}

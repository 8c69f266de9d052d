import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { FS_TOOLS, WORKSPACE } from '../../../contracts/tasks/card-agent';
import { displayPath, PathRefused, resolveInWorkspace } from './workspace-path';
import { sandboxServer, toolError, toolText, type SandboxTool } from './tool-server';

const MAX_READ = 262_144;
const MAX_LIST = 1000;

/**
 * The filesystem server: read, write, edit, list and delete files, only under the workspace
 * (`root` on disk, `/workspace` as the model sees it). Every path goes through
 * resolveInWorkspace; a path that escapes it is refused with a message saying why, and nothing
 * is touched.
 */
export function filesystemServer(root: string, alias = WORKSPACE): Server {
  const resolve = (p: string) => resolveInWorkspace(root, p, alias);
  const guarded =
    (fn: (args: any) => Promise<ReturnType<typeof toolText>>): SandboxTool['run'] =>
    async (args) => {
      try {
        return await fn(args);
      } catch (err) {
        if (err instanceof PathRefused) return toolError(err.message);
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') return toolError(`no such file or directory: ${String(args.path ?? '.')}`);
        if (e.code === 'EISDIR') return toolError(`${String(args.path)} is a directory`);
        if (e.code === 'ENOTDIR') return toolError(`${String(args.path)}: a part of the path is not a directory`);
        throw err;
      }
    };
  const tools: Record<keyof typeof FS_TOOLS, SandboxTool> = {
    read_file: {
      description: `Read a text file under ${alias}. Long files come in pieces: pass offset (characters) and limit.`,
      input: FS_TOOLS.read_file,
      run: guarded(async ({ path: p, offset = 0, limit = MAX_READ }: { path: string; offset?: number; limit?: number }) => {
        const text = await fs.promises.readFile(resolve(p), 'utf8');
        const piece = text.slice(offset, offset + limit);
        const more = offset + piece.length < text.length;
        return toolText(more ? `${piece}\n[… ${text.length - offset - piece.length} more characters: read again with offset ${offset + piece.length}]` : piece, { length: text.length, offset, returned: piece.length });
      }),
    },
    write_file: {
      description: `Create or replace a file under ${alias} (parent folders are created).`,
      input: FS_TOOLS.write_file,
      run: guarded(async ({ path: p, content }: { path: string; content: string }) => {
        const abs = resolve(p);
        await fs.promises.mkdir(path.dirname(abs), { recursive: true });
        resolve(p); // the folders just made may not be links, but re-check before writing
        await fs.promises.writeFile(abs, content, { flag: fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW });
        return toolText(`wrote ${Buffer.byteLength(content)} bytes to ${displayPath(root, abs)}`);
      }),
    },
    edit_file: {
      description: 'Replace one exact occurrence of old_text with new_text in a file (refused when old_text is missing or not unique).',
      input: FS_TOOLS.edit_file,
      run: guarded(async ({ path: p, old_text, new_text }: { path: string; old_text: string; new_text: string }) => {
        const abs = resolve(p);
        const text = await fs.promises.readFile(abs, 'utf8');
        const at = text.indexOf(old_text);
        if (at < 0) return toolError(`old_text was not found in ${p}`);
        if (text.indexOf(old_text, at + 1) >= 0) return toolError(`old_text occurs more than once in ${p}: include more surrounding text`);
        await fs.promises.writeFile(abs, text.slice(0, at) + new_text + text.slice(at + old_text.length), { flag: fs.constants.O_WRONLY | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW });
        return toolText(`edited ${displayPath(root, abs)}`);
      }),
    },
    list_directory: {
      description: `List a folder under ${alias} (default: the repository root). Folders end with /.`,
      input: FS_TOOLS.list_directory,
      run: guarded(async ({ path: p = '.' }: { path?: string }) => {
        const entries = (await fs.promises.readdir(resolve(p), { withFileTypes: true })).filter((e) => e.name !== '.git');
        entries.sort((a, b) => a.name.localeCompare(b.name));
        const lines = entries.slice(0, MAX_LIST).map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
        if (entries.length > MAX_LIST) lines.push(`[… ${entries.length - MAX_LIST} more]`);
        return toolText(lines.join('\n') || '(empty)');
      }),
    },
    delete_file: {
      description: `Delete a file under ${alias} (not a folder).`,
      input: FS_TOOLS.delete_file,
      run: guarded(async ({ path: p }: { path: string }) => {
        const abs = resolve(p);
        if ((await fs.promises.lstat(abs)).isDirectory()) return toolError(`${p} is a directory; delete_file removes files only`);
        await fs.promises.unlink(abs);
        return toolText(`deleted ${displayPath(root, abs)}`);
      }),
    },
  };
  return sandboxServer('product-os-workspace-files', tools);
}

/**
 * Asks a tool's input with quick picks and input boxes, from the plan schema-prompts.ts makes.
 * Escape at any step cancels the whole command (returns undefined).
 */
import * as vscode from 'vscode';
import type { ToolInfo } from '../../contracts/rest';
import { buildInput, checkPicked, describePrompt, initialText, parseText, planPrompts, type Prompt } from './schema-prompts';
import type { JsonSchemaObject } from '../../contracts/json-schema';

const t = vscode.l10n.t;

export async function askToolInput(tool: ToolInfo, presets: Record<string, unknown> = {}): Promise<Record<string, unknown> | undefined> {
  const plan = planPrompts((tool.inputSchema ?? {}) as JsonSchemaObject, { skip: Object.keys(presets) });
  const answers: Array<{ path: string[]; value: unknown }> = [];
  const total = plan.required.length;
  for (const [i, prompt] of plan.required.entries()) {
    const answer = await ask(prompt, tool.title, `${i + 1}/${total}`);
    if (answer === undefined) return undefined;
    if (answer.set) answers.push({ path: prompt.path, value: answer.value });
  }
  if (plan.optional.length > 0) {
    const items = plan.optional.map((p) => ({ label: p.field, description: describePrompt(p, t), detail: p.description, prompt: p }));
    const chosen = await vscode.window.showQuickPick(items, {
      title: t('{0}: optional settings', tool.title),
      placeHolder: t('Pick the optional fields to set (none: use the defaults), then press Enter'),
      canPickMany: true,
      ignoreFocusOut: true,
    });
    if (chosen === undefined) return undefined;
    for (const [i, item] of chosen.entries()) {
      const answer = await ask(item.prompt, tool.title, `${i + 1}/${chosen.length}`);
      if (answer === undefined) return undefined;
      if (answer.set) answers.push({ path: item.prompt.path, value: answer.value });
    }
  }
  return buildInput(presets, answers);
}

async function ask(prompt: Prompt, toolTitle: string, step: string): Promise<{ set: boolean; value: unknown } | undefined> {
  const title = `${toolTitle} (${step}): ${prompt.field}${prompt.required ? '' : ` ${t('(optional)')}`}`;
  if (prompt.kind === 'pick') {
    const items = prompt.options.map((o) => ({
      label: o.label,
      description: prompt.default !== undefined && o.value === prompt.default ? t('default') : undefined,
      value: o.value,
    }));
    const picked = await vscode.window.showQuickPick(items, { title, placeHolder: prompt.description ?? prompt.field, ignoreFocusOut: true });
    return picked === undefined ? undefined : { set: true, value: picked.value };
  }
  if (prompt.kind === 'multipick') {
    for (;;) {
      const items = prompt.options.map((o) => ({ label: o.label, value: o.value, picked: Array.isArray(prompt.default) && prompt.default.includes(o.value) }));
      const picked = await vscode.window.showQuickPick(items, { title, placeHolder: prompt.description ?? prompt.field, canPickMany: true, ignoreFocusOut: true });
      if (picked === undefined) return undefined;
      const values = picked.map((p) => p.value);
      const problem = checkPicked(prompt, values, t);
      if (!problem) return { set: values.length > 0, value: values };
      await vscode.window.showWarningMessage(problem);
    }
  }
  const raw = await vscode.window.showInputBox({
    title,
    prompt: [prompt.description, describePrompt(prompt, t)].filter(Boolean).join(' — '),
    value: initialText(prompt),
    placeHolder: prompt.placeholder,
    ignoreFocusOut: true,
    validateInput: (text) => {
      const r = parseText(prompt, text, t);
      return r.ok ? undefined : r.error;
    },
  });
  if (raw === undefined) return undefined;
  const r = parseText(prompt, raw, t);
  return r.ok ? { set: r.set, value: r.value } : undefined;
}

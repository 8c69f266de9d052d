/**
 * RFC 4180 CSV, streamed: records out of text chunks, each with the line it starts on (a
 * quoted field may hold newlines, so records and lines are not the same thing). Malformed
 * quoting is reported as that record's problem instead of throwing, so an import can skip it.
 */
export interface CsvRecord {
  line: number;
  fields: string[];
  problem?: string;
}

export class CsvRecords {
  private field = '';
  private fields: string[] = [];
  private quoted = false;
  private afterQuote = false;
  private line = 1;
  private startLine = 1;
  private problem: string | undefined;
  private pendingCR = false;
  private any = false;

  /** Feeds a chunk; returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.pendingCR) {
        this.pendingCR = false;
        if (c === '\n') continue;
      }
      if (this.quoted) {
        if (c === '"') {
          if (chunk[i + 1] === '"') {
            this.field += '"';
            i++;
          } else if (i + 1 === chunk.length) {
            // A quote at the end of a chunk: whether it is doubled is decided by the next chunk.
            this.quoted = false;
            this.afterQuote = true;
            this.maybeDoubled = true;
          } else {
            this.quoted = false;
            this.afterQuote = true;
          }
        } else {
          if (c === '\n') this.line++;
          this.field += c;
        }
        continue;
      }
      if (this.maybeDoubled) {
        this.maybeDoubled = false;
        if (c === '"') {
          this.field += '"';
          this.quoted = true;
          this.afterQuote = false;
          continue;
        }
      }
      if (c === ',') {
        this.endField();
      } else if (c === '\n' || c === '\r') {
        if (c === '\r') this.pendingCR = true;
        this.endField();
        if (this.any) out.push(this.endRecord());
        else this.fields = [];
        this.line++;
        this.startLine = this.line;
      } else if (c === '"' && this.field === '' && !this.afterQuote) {
        this.quoted = true;
        this.any = true;
      } else {
        if (this.afterQuote && !this.problem) this.problem = 'text after a closing quote';
        if (c === '"' && !this.problem) this.problem = 'a quote inside an unquoted field';
        this.field += c;
        this.any = true;
      }
    }
    return out;
  }

  private maybeDoubled = false;

  /** The last record, at the end of the input. */
  end(): CsvRecord[] {
    this.maybeDoubled = false;
    if (this.quoted) {
      this.problem ??= 'a quoted field is never closed';
      this.quoted = false;
    }
    this.endField();
    return this.any ? [this.endRecord()] : [];
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.afterQuote = false;
    if (this.fields.some((f) => f !== '')) this.any = true;
  }

  private endRecord(): CsvRecord {
    const r: CsvRecord = { line: this.startLine, fields: this.fields, ...(this.problem ? { problem: this.problem } : {}) };
    this.fields = [];
    this.problem = undefined;
    this.any = false;
    return r;
  }
}

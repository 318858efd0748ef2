// The input's lines as the feeder reads them, one of which can be put back: a line whose
// submit must be retried (capacity ran out between the check and the submit).
export class LineCursor {
  private held: [number, string] | undefined;
  constructor(private readonly lines: AsyncGenerator<[number, string]>) {}

  async next(): Promise<[number, string] | undefined> {
    if (this.held) {
      const h = this.held;
      this.held = undefined;
      return h;
    }
    const n = await this.lines.next();
    return n.done ? undefined : n.value;
  }

  unread(line: [number, string]): void {
    this.held = line;
  }

  async close(): Promise<void> {
    await this.lines.return(undefined);
  }
}

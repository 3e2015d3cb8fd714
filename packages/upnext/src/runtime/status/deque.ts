/** Growable ring buffer: O(1) at both ends, so eviction and batch removal never shift arrays. */
export class Deque<T> {
  private slots: (T | undefined)[] = new Array<T | undefined>(16);
  private head = 0;
  private length = 0;

  get size(): number {
    return this.length;
  }

  peek(): T | undefined {
    return this.length === 0 ? undefined : this.slots[this.head];
  }

  /** The element `index` places from the front; `index` must be below `size`. */
  at(index: number): T {
    return this.slots[(this.head + index) % this.slots.length] as T;
  }

  pushBack(value: T): void {
    if (this.length === this.slots.length) this.grow();
    this.slots[(this.head + this.length) % this.slots.length] = value;
    this.length += 1;
  }

  pushFront(value: T): void {
    if (this.length === this.slots.length) this.grow();
    this.head = (this.head - 1 + this.slots.length) % this.slots.length;
    this.slots[this.head] = value;
    this.length += 1;
  }

  popFront(): T | undefined {
    if (this.length === 0) return undefined;
    const value = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.slots.length;
    this.length -= 1;
    return value;
  }

  private grow(): void {
    const slots = new Array<T | undefined>(this.slots.length * 2);
    for (let index = 0; index < this.length; index++) slots[index] = this.at(index);
    this.slots = slots;
    this.head = 0;
  }
}

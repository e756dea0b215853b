/** dcmjs 0.51 reads `stopOnGreaterTag` (stop before the first tag above `untilTag`); parsing/dcmjs.d.ts omits it. */
declare module 'dcmjs' {
  export namespace data {
    interface ReadOptions {
      stopOnGreaterTag?: boolean;
    }
  }
}

/** The error `act` throws; fails the test when it returns normally instead. */
export function thrownBy(act: () => unknown): unknown {
  try {
    act();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, but the call returned normally');
}

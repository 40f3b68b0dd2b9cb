//! A seeded xorshift generator for the randomized tests: the same sequence on every run and
//! every machine, and no dependency for it.

/// Marsaglia's xorshift64; the state is public so a test can read it without stepping.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    /// Steps the state and returns it.
    pub(crate) fn step(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (`n` > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.step() % n as u64) as usize
    }
}

namespace Lrbs.Core.Engine

/// Our own seeded generator (xoshiro256** seeded by SplitMix64), so that weights,
/// shuffles and splits depend only on the seed, never on the runtime or platform.
type Rng(seed: uint64) =
    let splitmix (state: byref<uint64>) =
        state <- state + 0x9E3779B97F4A7C15UL
        let mutable z = state
        z <- (z ^^^ (z >>> 30)) * 0xBF58476D1CE4E5B9UL
        z <- (z ^^^ (z >>> 27)) * 0x94D049BB133111EBUL
        z ^^^ (z >>> 31)

    let s =
        let mutable st = seed
        Array.init 4 (fun _ -> splitmix &st)

    let rotl (x: uint64) (k: int) = (x <<< k) ||| (x >>> (64 - k))

    /// The next 64 random bits.
    member _.NextUInt64() =
        let result = rotl (s[1] * 5UL) 7 * 9UL
        let t = s[1] <<< 17
        s[2] <- s[2] ^^^ s[0]
        s[3] <- s[3] ^^^ s[1]
        s[1] <- s[1] ^^^ s[2]
        s[0] <- s[0] ^^^ s[3]
        s[2] <- s[2] ^^^ t
        s[3] <- rotl s[3] 45
        result

    /// The generator's state (four words), to save it.
    member _.State = Array.copy s

    /// Goes on from a saved `State`.
    member _.Restore(state: uint64[]) =
        if state.Length <> 4 then
            invalidArg "state" $"a state has 4 words, got {state.Length}"

        Array.blit state 0 s 0 4

    /// Uniform in [0, 1) with 53 random bits.
    member r.NextDouble() = float (r.NextUInt64() >>> 11) * (1.0 / 9007199254740992.0)

    /// Uniform integer in [0, n) without modulo bias.
    member r.NextInt(n: int) =
        if n <= 0 then
            invalidArg "n" $"must be positive, got {n}"

        let bound = uint64 n
        let limit = System.UInt64.MaxValue - (System.UInt64.MaxValue % bound)
        let mutable x = r.NextUInt64()

        while x >= limit do
            x <- r.NextUInt64()

        int (x % bound)

    /// A uniformly random permutation of 0..n-1 (Fisher-Yates).
    member r.Permutation(n: int) =
        let p = Array.init n id

        for i in n - 1 .. -1 .. 1 do
            let j = r.NextInt(i + 1)
            let tmp = p[i]
            p[i] <- p[j]
            p[j] <- tmp

        p

    /// An independent generator derived from this one's seed and a stream name.
    static member Derive(seed: uint64, stream: string) =
        let mutable h = 1469598103934665603UL

        for c in stream do
            h <- (h ^^^ uint64 c) * 1099511628211UL

        Rng(seed ^^^ h)

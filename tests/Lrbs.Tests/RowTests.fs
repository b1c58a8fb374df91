/// The row records of every Parquet table: written by Parquet.Net, read back by DuckDB into the
/// same records, with the column types the records declare.
module Lrbs.Tests.RowTests

open System
open System.IO
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Tests.Support
open Lrbs.Host.Storage
open Lrbs.Host.Storage.Rows

/// A record of type 'T with every column drawn from `rng`: nullable columns null about a third of
/// the time, strings with quotes, newlines and non-ASCII text, any finite double, times to the
/// microsecond (the parts' timestamp resolution).
let private randomRow<'T when 'T: (new: unit -> 'T)> (rng: Random) =
    let row = new 'T()
    let alphabet = "ab'\"\n ,;é漢0"
    let text () = String(Array.init (rng.Next(0, 12)) (fun _ -> alphabet[rng.Next alphabet.Length]))

    for c in Columns<'T>.All do
        if not (c.Nullable && rng.Next(3) = 0) then
            let value: obj =
                if c.Timestamp then
                    box (rng.NextInt64(0L, 4_000_000_000_000_000L))
                elif c.Type = typeof<string> then
                    box (text ())
                elif c.Type = typeof<int> then
                    box (rng.Next(Int32.MinValue, Int32.MaxValue))
                elif c.Type = typeof<int64> then
                    box (rng.NextInt64())
                elif c.Type = typeof<bool> then
                    box (rng.Next(2) = 0)
                elif c.Type = typeof<float> then
                    let d = BitConverter.Int64BitsToDouble(rng.NextInt64())
                    box (if Double.IsFinite d then d else float (rng.Next()) / 7.0)
                else
                    failwith $"no generator for {c.Type}"

            c.Property.SetValue(row, value)

    row

/// The columns of a row as comparable values (times as UTC ticks, doubles as their bits).
let private cells<'T> (row: 'T) =
    [
        for c in Columns<'T>.All ->
            match c.Property.GetValue row with
            | :? DateTime as t -> box (DateTime.SpecifyKind(t, DateTimeKind.Utc).Ticks)
            | :? float as d -> box (BitConverter.DoubleToInt64Bits d)
            | v -> v
    ]

let private roundTrips<'T when 'T: (new: unit -> 'T)> (seed: int) =
    use tmp = new TempDir()
    let rng = Random seed
    let rows = List.init (rng.Next(0, 6)) (fun _ -> randomRow<'T> rng)
    let path = tmp.File "part.parquet"
    ParquetPart.Write(ResizeArray rows, path)
    use db = new Sql()
    let back = db.Rows<'T>($"SELECT * FROM read_parquet({Sql.Literal path})")
    let expected, actual = List.map cells rows, List.map cells (List.ofSeq back)

    if expected <> actual then
        failwith $"%A{expected}\n<>\n%A{actual}"

    true

[<FsCheck.NUnit.Property(MaxTest = 25)>]
let ``trial rows: random records -> Parquet.Net part -> DuckDB -> the same records`` (seed: int) = roundTrips<TrialRow> seed

[<FsCheck.NUnit.Property(MaxTest = 25)>]
let ``epoch rows round-trip`` (seed: int) = roundTrips<EpochRow> seed

[<FsCheck.NUnit.Property(MaxTest = 15)>]
let ``manifest and prediction rows round-trip`` (seed: int) =
    roundTrips<ManifestRow> seed
    && roundTrips<ClassPredictionRow> seed
    && roundTrips<LabelPredictionRow> seed
    && roundTrips<BoxPredictionRow> seed

[<FsCheck.NUnit.Property(MaxTest = 15)>]
let ``parity and bench rows round-trip`` (seed: int) = roundTrips<Lrbs.Host.Parity.ParityRow> seed && roundTrips<Lrbs.Host.Bench.BenchPartRow> seed

/// DuckDB's types for a view's columns, by name.
let private described (db: Sql) (table: string) =
    db.Query($"SELECT column_name, column_type FROM (DESCRIBE {table})").Rows |> Seq.map (fun r -> r[0], r[1]) |> Map.ofSeq

let private expectTypes<'T> (types: Map<string, string>) (table: string) =
    for c in Columns<'T>.All do
        Assert.That(types.TryFind c.Name, Is.EqualTo(Some(Columns<'T>.DuckDbType c)), $"{table}.{c.Name}")

[<Test>]
let ``a sweep's parts read in DuckDB with every column of every table typed as its record declares`` () =
    use tmp = new TempDir()
    let out = tmp.File "out"
    let f = tmp.File "s.yaml"

    File.WriteAllText(
        f,
        $"name: s\ndataset: boxes\ntrain_limit: 200\nmodel: cnn-box\noptimizer: sgd\nlr: 0.1\nbatch_size: 50\npredictions: true\nstopping:\n  max_epochs: 1\nout: {out}\n"
    )

    let code, _, err = CliTests.run [ "sweep"; "run"; f; "--workers"; "1" ]
    Assert.That(code, Is.EqualTo 0, err)
    use db = ResultsReader.Open out
    expectTypes<TrialRow> (described db "trials") "trials"
    expectTypes<EpochRow> (described db "epochs") "epochs"
    expectTypes<BoxPredictionRow> (described db "box_predictions") "box_predictions"
    expectTypes<ManifestRow> (described db "manifest") "manifest"
    // and they read back into the records the report uses
    let trial = db.Rows<TrialRow>("SELECT * FROM trials") |> Seq.exactlyOne
    Assert.That((trial.Dataset, trial.BoxLoss, trial.EvalBatches, trial.Metric), Is.EqualTo(("boxes", "keras-plus-one", "all", "iou")))

[<Test>]
let ``a NULL where a record needs a value, or a column of the wrong type, is an error naming the column`` () =
    use db = new Sql()
    let e = Assert.Throws<StorageException>(fun () -> db.Rows<ManifestRow>("SELECT NULL::INTEGER AS plan_index") |> ignore)
    StringAssert.Contains("plan_index", e.Message)
    let e = Assert.Throws<StorageException>(fun () -> db.Rows<ManifestRow>("SELECT 'x' AS plan_index") |> ignore)
    StringAssert.Contains("plan_index", e.Message)

[<Test>]
let ``DuckDB out of memory says the limit, where it comes from and what to do`` () =
    use db = new Sql()
    db.Execute "SET memory_limit='1MB'" // as a scheduler's tiny --mem would make it

    let e =
        Assert.Throws<StorageException>(fun () -> db.Query "SELECT sum(x) FROM (SELECT range % 100000 AS x, count(*) FROM range(3000000) GROUP BY 1)" |> ignore)

    StringAssert.Contains("ran out of memory", e.Message)
    StringAssert.Contains("976.5 KiB", e.Message)
    StringAssert.Contains("--mem", e.Message)

[<Test>]
let ``query text writes numbers round-trip and lists and structs as DuckDB does`` () =
    use db = new Sql()
    let r = db.Query "SELECT 0.1::DOUBLE AS d, [1, 2, 3] AS l, {'a': 1, 'b': 'x'} AS s, NULL AS n, true AS b"
    assertEq [| Some "0.1"; Some "[1, 2, 3]"; Some "{'a': 1, 'b': x}"; None; Some "true" |] (r.Rows[0] |> Array.map Option.ofObj)

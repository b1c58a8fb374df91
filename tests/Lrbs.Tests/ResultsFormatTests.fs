/// The results format as a contract with readers lrbs did not write: one schema per folder,
/// migrations from older versions (pure, and as a durable, killable command), the single-file
/// export, docs/results.md generated from the column mapping, and polars and DuckDB reading
/// every committed folder.
module Lrbs.Tests.ResultsFormatTests

open System
open System.Collections.Generic
open System.Diagnostics
open System.IO
open System.Text.Json
open NUnit.Framework
open Lrbs.Tests.Support
open Lrbs.Host.Storage
open Lrbs.Host.Storage.Migrations
open Lrbs.Host.Storage.Rows

let private root = Lrbs.Core.Data.Registry.repositoryRoot ()
let private fixture = Path.Combine(root, "tests", "fixtures", "results-v2")

/// A copy of the folder of real lrbs-results/2 parts, to migrate.
let private copyOfV2 (tmp: TempDir) =
    let target = tmp.File "v2"

    for f in Directory.GetFiles(fixture, "*.parquet", SearchOption.AllDirectories) do
        let t = Path.Combine(target, Path.GetRelativePath(fixture, f))
        Directory.CreateDirectory(Path.GetDirectoryName t) |> ignore
        File.Copy(f, t)

    target

let private allParts (folder: string) = ResultsReader.AllParts folder |> Seq.map (fun struct (t, f) -> t, f) |> List.ofSeq

/// The version of every part of a folder.
let private versions (folder: string) =
    use db = new Sql()
    let files = allParts folder |> List.map snd
    ResultsReader.Versions(db, ResizeArray files) |> Seq.map (fun kv -> kv.Key, Option.ofNullable kv.Value) |> Map.ofSeq

let private row (pairs: (string * obj) list) : IReadOnlyDictionary<string, obj> = Dictionary<string, obj>(dict pairs) :> _

/// A migration context that knows a chance level and a trial's training losses by epoch.
type private Known(chance: float option, losses: float list) =
    interface IMigrationContext with
        member _.Chance _ = Option.toNullable chance
        member _.Epochs _ = losses |> List.mapi (fun i l -> row [ "epoch", box (i + 1); "train_loss", box l ]) |> ResizeArray :> _

let private noContext = Known(None, [])

/// A current trial record with every column set from `rng` (times between 2001 and 2033).
let private randomTrial (rng: Random) =
    let t = TrialRow()

    for c in Columns<TrialRow>.All do
        if not (c.Nullable && rng.Next 3 = 0) then
            let v: obj =
                if c.Timestamp then box (rng.NextInt64(1_000_000_000_000_000L, 2_000_000_000_000_000L))
                elif c.Type = typeof<string> then box (string (rng.Next()))
                elif c.Type = typeof<int> then box (rng.Next())
                elif c.Type = typeof<int64> then box (rng.NextInt64())
                elif c.Type = typeof<float> then box (rng.NextDouble())
                elif c.Type = typeof<bool> then box (rng.Next 2 = 0)
                else failwith $"{c.Type}"

            c.Property.SetValue(t, v)

    t.Schema <- ResultsSchema.Version
    t

// ---- the migration as a pure function ----

[<FsCheck.NUnit.Property(MaxTest = 50)>]
let ``a version-2 trial row (a current row less the columns version 2 could lack) migrates to the current row with the documented fills`` (seed: int) =
    let rng = Random seed
    let current = randomTrial rng
    let v2 = RowMap.ToRow(ResultsSchema.Trials, current)
    v2["schema"] <- "lrbs-results/2"

    for added in [ "test_limit"; "chance_metric"; "collapsed" ] do
        v2.Remove added |> ignore // lrbs-results/4's

    v2.Remove "early_stopping_monitor" |> ignore // lrbs-results/5's

    for added in [ "branch_reference"; "branch_at"; "branch_batch"; "branch_window"; "branch_b_simple" ] do
        v2.Remove added |> ignore // lrbs-results/6's
    // what some version-2 parts lacked, and times in milliseconds without a kind
    let dropped = [ "box_loss"; "eval_batches"; "blas"; "resumed_epochs" ] |> List.filter (fun _ -> rng.Next 2 = 0)

    for k in dropped do
        v2.Remove k |> ignore

    let us = current.FinishedAt
    v2["finished_at"] <- box (DateTime.SpecifyKind(Micros.ToDateTime(us - us % 1000L), DateTimeKind.Unspecified))
    let part = PartRows("trials", ResizeArray v2.Keys, [| v2 :> IReadOnlyDictionary<_, _> |])
    let migrated = RowMigrations.ToCurrent(part, 2, Known(Some 0.1, [ 1.0; 0.5 ]))
    let back = RowMap.ToRecord(ResultsSchema.Trials, migrated.Rows[0]) :?> TrialRow
    let expected = RowMap.ToRow(ResultsSchema.Trials, current)

    if List.contains "box_loss" dropped then
        expected["box_loss"] <- (if current.Metric = "iou" then box "exact" else null)

    if List.contains "eval_batches" dropped then
        expected["eval_batches"] <- box "all"

    if List.contains "resumed_epochs" dropped then
        expected["resumed_epochs"] <- box 0

    if List.contains "blas" dropped then
        expected["blas"] <- null
    // and lrbs-results/4's columns: no test_limit then; the chance level and the collapse rule from what the context knows
    expected["test_limit"] <- null
    expected["chance_metric"] <- box 0.1

    expected["collapsed"] <-
        (Lrbs.Core.Training.Collapse.collapsed
            (current.Status = "ok" || current.Status = "stopped_early")
            (Option.ofNullable current.TestMetric |> Option.defaultValue nan)
            0.1
            current.TestRows
            [| 1.0; 0.5 |]
         |> Option.map box
         |> Option.toObj)

    expected["finished_at"] <- box (us - us % 1000L)
    // lrbs-results/5's: the validation loss, the only monitor before the key, where early stopping was on
    expected["early_stopping_monitor"] <- (if isNull current.EarlyStopping then null else box "val_loss")

    // lrbs-results/6's: no trial was a branch
    for added in [ "branch_reference"; "branch_at"; "branch_batch"; "branch_window"; "branch_b_simple" ] do
        expected[added] <- null

    let actual = RowMap.ToRow(ResultsSchema.Trials, back)
    Assert.That(migrated.Table, Is.EqualTo "trials")

    for kv in expected do
        Assert.That(actual[kv.Key], Is.EqualTo kv.Value, kv.Key)

    true

[<Test>]
let ``box trials written before box_loss get exact, the only form then; other trials get null`` () =
    let migrate metric =
        let r = row [ "schema", box "lrbs-results/2"; "metric", box metric ]
        (V2ToV3.Apply(PartRows("trials", [| "schema"; "metric" |], [| r |]))).Rows[0]

    Assert.That((migrate "iou")["box_loss"], Is.EqualTo "exact")
    Assert.That((migrate "accuracy")["box_loss"], Is.Null)
    Assert.That((migrate "accuracy")["eval_batches"], Is.EqualTo "all")
    Assert.That((migrate "accuracy")["resumed_epochs"], Is.EqualTo 0)

[<Test>]
let ``version-2 predictions go to the table of their kind, known from their columns even without rows`` () =
    let kind columns = (RowMigrations.ToCurrent(PartRows("predictions", columns, [||]), 2, noContext)).Table
    Assert.That(kind [| "schema"; "trial_id"; "row"; "label"; "predicted"; "confidence"; "correct" |], Is.EqualTo "class_predictions")
    Assert.That(kind [| "schema"; "trial_id"; "row"; "label"; "truth"; "probability"; "predicted" |], Is.EqualTo "label_predictions")
    Assert.That(kind [| "schema"; "trial_id"; "row"; "iou"; "error"; "level" |], Is.EqualTo "box_predictions")
    let e = Assert.Throws<MigrationException>(fun () -> kind [| "schema"; "x" |] |> ignore)
    StringAssert.Contains("none of confidence, truth or iou", e.Message)

[<Test>]
let ``a row that is not exactly the table's columns is refused naming the column`` () =
    let good = RowMap.ToRow(ResultsSchema.Epochs, EpochRow(Id = "a", Epoch = 1))
    Assert.That((RowMap.ToRecord(ResultsSchema.Epochs, good) :?> EpochRow).Id, Is.EqualTo "a")
    let missing = Dictionary good
    missing.Remove "lr" |> ignore
    StringAssert.Contains("epochs.lr is missing", Assert.Throws<MigrationException>(fun () -> RowMap.ToRecord(ResultsSchema.Epochs, missing) |> ignore).Message)
    let extra = Dictionary good
    extra["nope"] <- box 1

    StringAssert.Contains(
        "epochs has no column nope",
        Assert.Throws<MigrationException>(fun () -> RowMap.ToRecord(ResultsSchema.Epochs, extra) |> ignore).Message
    )

    let nulled = Dictionary good
    nulled["epoch"] <- null
    StringAssert.Contains("epochs.epoch is null", Assert.Throws<MigrationException>(fun () -> RowMap.ToRecord(ResultsSchema.Epochs, nulled) |> ignore).Message)
    let wrong = Dictionary good
    wrong["epoch"] <- box "one"

    StringAssert.Contains(
        "epochs.epoch: one (String) is not INT32",
        Assert.Throws<MigrationException>(fun () -> RowMap.ToRecord(ResultsSchema.Epochs, wrong) |> ignore).Message
    )

[<Test>]
let ``versions older than the oldest migration and newer than this lrbs are refused, naming both versions`` () =
    let part = PartRows("epochs", [| "schema" |], [||])

    StringAssert.Contains(
        "written with lrbs-results/1, older than any this lrbs migrates (lrbs-results/2 and later)",
        Assert.Throws<MigrationException>(fun () -> RowMigrations.ToCurrent(part, 1, noContext) |> ignore).Message
    )

    StringAssert.Contains(
        $"written with lrbs-results/9, by a newer lrbs than this one, which reads {ResultsSchema.Version}",
        Assert.Throws<MigrationException>(fun () -> RowMigrations.ToCurrent(part, 9, noContext) |> ignore).Message
    )

[<Test>]
let ``a time is written as INT64 TIMESTAMP(MICROS, UTC) whose statistics are microseconds too (Parquet.Net's own DateTime statistics are not)`` () =
    use tmp = new TempDir()
    let path = tmp.File "t.parquet"
    let at = 1_796_512_900_536_123L
    ParquetPart.Write(ResultsSchema.Trials, [ TrialRow(Id = "a", FinishedAt = at) ], path)
    use db = new Sql()

    let schema =
        db.Query($"SELECT type, converted_type, logical_type::VARCHAR FROM parquet_schema({Sql.Literal path}) WHERE name = 'finished_at'").Rows[0]

    assertEq
        [|
            "INT64"
            "TIMESTAMP_MICROS"
            "TimestampType(isAdjustedToUTC=1, unit=TimeUnit(MILLIS=<null>, MICROS=MicroSeconds(), NANOS=<null>))"
        |]
        schema

    let stats =
        db.Query($"SELECT stats_min_value, stats_max_value FROM parquet_metadata({Sql.Literal path}) WHERE path_in_schema = 'finished_at'").Rows[0]

    assertEq [| Some "2026-12-05 23:21:40.536123+00"; Some "2026-12-05 23:21:40.536123+00" |] (stats |> Array.map Option.ofObj)
    // a one-row part answers from its statistics in DuckDB: the same microseconds
    Assert.That(db.Query($"SELECT epoch_us(finished_at) FROM read_parquet({Sql.Literal path})").Rows[0][0], Is.EqualTo(string at))
    Assert.That((db.Rows<TrialRow>($"SELECT * FROM read_parquet({Sql.Literal path})")).[0].FinishedAt, Is.EqualTo at)

[<Test>]
let ``lrbs-results/4 marks a trial collapsed from its chance level and its losses, and says when it cannot know`` () =
    let trial status metric =
        PartRows(
            "trials",
            [| "schema"; "trial_id"; "status"; "test_metric"; "test_rows" |],
            [|
                row
                    [
                        "schema", box "lrbs-results/3"
                        "trial_id", box "t"
                        "status", box status
                        "test_metric", box metric
                        "test_rows", box 10000
                    ]
            |]
        )

    let collapsed (context: IMigrationContext) status (metric: float) = (RowMigrations.ToCurrent(trial status metric, 3, context)).Rows[0]["collapsed"]
    let learning = Known(Some 0.1, [ 2.3; 0.4 ])
    Assert.That(collapsed learning "ok" 0.1, Is.EqualTo true, "at chance (the majority class's share)")
    Assert.That(collapsed learning "ok" 0.105, Is.EqualTo true, "within two standard errors of chance: 0.1 + 2 sqrt(0.09 / 10000) = 0.106")
    Assert.That(collapsed learning "ok" 0.107, Is.EqualTo false)
    Assert.That(collapsed learning "stopped_early" 0.85, Is.EqualTo false)
    Assert.That(collapsed (Known(Some 0.1, [ 0.5; 2.4 ])) "ok" 0.85, Is.EqualTo true, "the loss ended above where it started")
    Assert.That(collapsed learning "diverged" nan, Is.EqualTo false, "a diverged trial is a failure of its own kind")
    Assert.That(collapsed (Known(None, [ 2.3; 0.4 ])) "ok" 0.85, Is.Null, "no chance level and a falling loss: not known")
    Assert.That(collapsed (Known(Some 0.1, [ 0.4 ])) "ok" 0.85, Is.EqualTo false, "one epoch: the loss rule cannot apply")
    Assert.That(collapsed (Known(None, [ 0.4; 2.3 ])) "ok" 0.85, Is.EqualTo true, "the loss alone condemns it")
    let migrated = (RowMigrations.ToCurrent(trial "ok" 0.5, 3, learning)).Rows[0]
    Assert.That(migrated["chance_metric"], Is.EqualTo 0.1)
    Assert.That(migrated["test_limit"], Is.Null)
    Assert.That(migrated["schema"], Is.EqualTo ResultsSchema.Version)

// ---- migrating a folder ----

/// The rows of a table of a folder as text, ordered by its key, without the schema column: what a
/// migration must keep. Reads the version-2 fixture with a union of its differing parts.
let private content (folder: string) (table: string) (key: string) (columns: string) =
    use db = new Sql()
    let glob = Path.Combine(folder, table, "*.parquet")

    db.Query($"SELECT {columns} FROM read_parquet({Sql.Literal glob}, union_by_name = true) ORDER BY {key}").Rows
    |> Seq.map (String.concat "|")
    |> List.ofSeq

[<Test>]
let ``lrbs results migrate rewrites every part of a real version-2 folder, keeping every value, and reading it needs no union`` () =
    use tmp = new TempDir()
    let folder = copyOfV2 tmp

    let trialColumns =
        "trial_id, sweep, dataset, model, optimizer, lr, batch_size, seed, status, epochs, steps, test_metric, test_loss, wall_seconds, config, code_version, epoch_us(finished_at)"

    let before = content folder "trials" "trial_id" trialColumns, content folder "epochs" "trial_id, epoch" "* EXCLUDE (schema)"
    let predictionsBefore = content folder "predictions" "trial_id, row" "trial_id, row"
    let code, _, err = CliTests.run [ "results"; "query"; folder; "SELECT 1" ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains($"this lrbs reads {ResultsSchema.Version}. Run `lrbs results migrate {folder}`", err)
    let code, out, err = CliTests.run [ "results"; "migrate"; folder ]
    Assert.That(code, Is.EqualTo 0, err)
    StringAssert.Contains($"migrated 46 parts to {ResultsSchema.Version}", out)
    Assert.That(versions folder |> Map.forall (fun _ v -> v = Some ResultsSchema.Current), Is.True)
    Assert.That(Directory.Exists(Path.Combine(folder, "predictions")), Is.False, "the old predictions folder is gone")
    let after = content folder "trials" "trial_id" trialColumns, content folder "epochs" "trial_id, epoch" "* EXCLUDE (schema)"
    assertEq before after

    let predictionsAfter =
        (content folder "box_predictions" "trial_id, row" "trial_id, row")
        @ (content folder "class_predictions" "trial_id, row" "trial_id, row")
        |> List.sort

    assertEq (List.sort predictionsBefore) predictionsAfter
    // the filled columns, and times in UTC microseconds
    let filled =
        ResultsReader.Query(folder, "SELECT DISTINCT metric, box_loss, eval_batches, resumed_epochs FROM trials ORDER BY 1, 2").Rows
        |> Seq.map (String.concat "|")
        |> List.ofSeq

    assertEq [ "accuracy||all|0"; "iou|keras-plus-one|all|0" ] filled

    let timeType =
        ResultsReader.Query(folder, "SELECT column_type FROM (DESCRIBE trials) WHERE column_name = 'finished_at'").Rows[0][0]

    Assert.That(timeType, Is.EqualTo "TIMESTAMP WITH TIME ZONE")
    // idempotent
    let code, out, _ = CliTests.run [ "results"; "migrate"; folder ]
    Assert.That(code, Is.EqualTo 0)
    StringAssert.Contains($"all 46 parts are already {ResultsSchema.Version}; nothing to migrate", out)

[<Test>]
let ``a migration killed with SIGKILL at any moment and rerun leaves every part readable, current and migrated once`` () =
    use tmp = new TempDir()
    let folder = copyOfV2 tmp
    let rowsBefore = Map.ofList [ for t in [ "trials"; "epochs" ] -> t, content folder t "1" "count(*)" ]
    let mutable landedMidway = 0

    for attempt in 1..4 do
        use p = SweepTests.startHost [ "results"; "migrate"; folder ]
        // wait for the (attempt)-th progress line, then kill -9
        let mutable lines = 0

        while lines < attempt && not p.StandardOutput.EndOfStream do
            let line = p.StandardOutput.ReadLine()

            if line.StartsWith "migrating" then
                lines <- lines + 1

        if not p.HasExited then
            p.Kill true

        p.WaitForExit()
        let vs = versions folder |> Map.toList |> List.map snd

        if List.contains (Some ResultsSchema.Current) vs && List.exists (fun v -> v <> Some ResultsSchema.Current) vs then
            landedMidway <- landedMidway + 1

    Assert.That(landedMidway, Is.GreaterThanOrEqualTo 1, "a kill landed in the middle of a migration")
    let code, _, err = CliTests.run [ "results"; "migrate"; folder ]
    Assert.That(code, Is.EqualTo 0, err)
    Assert.That(versions folder |> Map.forall (fun _ v -> v = Some ResultsSchema.Current), Is.True)
    Assert.That(Directory.GetFiles(folder, ".tmp~*", SearchOption.AllDirectories), Is.Empty)

    for t in [ "trials"; "epochs" ] do
        assertEq rowsBefore[t] (content folder t "1" "count(*)")
    // once: every trial's predictions in exactly one place
    let ids =
        [
            for t in [ "class_predictions"; "box_predictions"; "predictions" ] do
                let d = Path.Combine(folder, t)

                if Directory.Exists d then
                    yield! Directory.GetFiles(d, "*.parquet") |> Array.map Path.GetFileName
        ]

    Assert.That(ids.Length, Is.EqualTo 7)
    Assert.That(List.distinct ids, Has.Length.EqualTo 7)
    Assert.That(ResultsReader.Query(folder, "SELECT count(*) FROM box_predictions").Rows[0][0], Is.EqualTo "5000")

[<Test>]
let ``a corrupt part is moved aside by the recovery and the rest migrates`` () =
    use tmp = new TempDir()
    let folder = copyOfV2 tmp
    let part = Directory.GetFiles(Path.Combine(folder, "epochs"), "*.parquet") |> Array.sort |> Array.head
    File.WriteAllBytes(part, File.ReadAllBytes(part)[..99])
    let code, out, err = CliTests.run [ "results"; "migrate"; folder ]
    Assert.That(code, Is.EqualTo 0, err)
    StringAssert.Contains($"{part} does not read", err)
    StringAssert.Contains("runs again", err)
    Assert.That(File.Exists(part + ".corrupt"), Is.True)
    StringAssert.Contains("migrated 44 parts", out) // the corrupt epochs part and its trial part moved aside
    Assert.That(versions folder |> Map.forall (fun _ v -> v = Some ResultsSchema.Current), Is.True)

[<Test>]
let ``a part from a newer lrbs is refused by every command, naming both versions, and nothing is changed`` () =
    use tmp = new TempDir()
    let folder = copyOfV2 tmp
    let code, _, _ = CliTests.run [ "results"; "migrate"; folder ]
    Assert.That(code, Is.EqualTo 0)
    let part = Directory.GetFiles(Path.Combine(folder, "trials"), "*.parquet") |> Array.sort |> Array.head
    let copy = part + ".copy"

    using (new Sql()) (fun db ->
        db.Execute(
            $"COPY (SELECT * REPLACE ('lrbs-results/9' AS schema) FROM read_parquet({Sql.Literal part})) TO {Sql.Literal copy} (FORMAT parquet, KV_METADATA {{'lrbs.schema': 'lrbs-results/9'}})"
        ))

    File.Move(copy, part, true)

    let stamp () =
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
        |> Array.map (fun f -> f, File.GetLastWriteTimeUtc f)
        |> Array.sort

    let before = stamp ()

    for args in
        [
            [ "results"; "migrate"; folder ]
            [ "results"; "query"; folder; "SELECT 1" ]
            [ "report"; folder; "--out"; tmp.File "r" ]
        ] do
        let code, _, err = CliTests.run args
        Assert.That(code, Is.EqualTo 2, String.concat " " args)
        StringAssert.Contains($"{part}: written with lrbs-results/9 by a newer lrbs; this lrbs reads {ResultsSchema.Version}", err)

    assertEq before (stamp ())

[<Test>]
let ``a sweep run on a folder of older parts migrates it first, then resumes: nothing is trained twice`` () =
    use tmp = new TempDir()
    let folder = copyOfV2 tmp

    let code, out, err =
        CliTests.run [ "sweep"; "run"; Path.Combine(root, "examples", "smoke.yaml"); "--out"; folder; "--workers"; "1" ]

    Assert.That(code, Is.EqualTo 0, err)
    StringAssert.Contains($"holds parts written by an older lrbs: migrating them to {ResultsSchema.Version} first", out)
    StringAssert.Contains("0 to run, 8 already finished", out)
    Assert.That(versions folder |> Map.forall (fun _ v -> v = Some ResultsSchema.Current), Is.True)

// ---- the export ----

[<Test>]
let ``an export is one file per table, sorted, with its schema and columns in the metadata, and the same bytes twice`` () =
    use tmp = new TempDir()
    let folder = copyOfV2 tmp
    CliTests.run [ "results"; "migrate"; folder ] |> ignore
    let a, b = tmp.File "a", tmp.File "b"

    for target in [ a; b ] do
        let code, _, err = CliTests.run [ "results"; "export"; folder; "--out"; target ]
        Assert.That(code, Is.EqualTo 0, err)

    let files = Directory.GetFiles a |> Array.map Path.GetFileName |> Array.sort
    assertEq [| "box_predictions.parquet"; "class_predictions.parquet"; "epochs.parquet"; "manifest.parquet"; "trials.parquet" |] files

    for f in files do
        Assert.That(File.ReadAllBytes(Path.Combine(a, f)) = File.ReadAllBytes(Path.Combine(b, f)), Is.True, f)

    use db = new Sql()
    let epochs = Path.Combine(a, "epochs.parquet")

    let order =
        db.Query($"SELECT trial_id, epoch FROM read_parquet({Sql.Literal epochs})").Rows
        |> Seq.map (fun r -> r[0], int r[1])
        |> List.ofSeq

    assertEq
        (List.sortWith
            (fun (i, e) (j, f) ->
                match String.CompareOrdinal(i, j) with
                | 0 -> compare e f
                | c -> c)
            order)
        order

    Assert.That(order.Length, Is.EqualTo(int (ResultsReader.Query(folder, "SELECT count(*) FROM epochs").Rows[0][0])))

    let meta =
        db.Query($"SELECT decode(key), decode(value) FROM parquet_kv_metadata({Sql.Literal epochs})").Rows
        |> Seq.map (fun r -> r[0], r[1])
        |> Map.ofSeq

    Assert.That(meta["lrbs.schema"], Is.EqualTo ResultsSchema.Version)
    Assert.That(meta["lrbs.table"], Is.EqualTo "epochs")
    Assert.That(meta.ContainsKey "lrbs.version", Is.True)

    for c in Columns<EpochRow>.All do
        Assert.That(meta[$"lrbs.column.{c.Name}"], Is.EqualTo(SchemaDoc.Line c), c.Name)

    StringAssert.Contains("DOUBLE (s), not null: The whole epoch, evaluation included", meta["lrbs.column.seconds"])

[<Test>]
let ``an export to a path that exists is refused without --force, an unknown format is exit 2, and neither writes anything`` () =
    use tmp = new TempDir()
    let folder = copyOfV2 tmp
    CliTests.run [ "results"; "migrate"; folder ] |> ignore
    let target = tmp.File "out"
    Directory.CreateDirectory target |> ignore
    File.WriteAllText(Path.Combine(target, "mine.txt"), "keep")
    let code, _, err = CliTests.run [ "results"; "export"; folder; "--out"; target ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains($"--out: {target} exists; choose another path or add --force", err)
    let code, _, err = CliTests.run [ "results"; "export"; folder; "--out"; tmp.File "new"; "--format"; "xlsx" ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains("--format: unknown format 'xlsx'; allowed: parquet, csv", err)
    Assert.That(Directory.Exists(tmp.File "new"), Is.False)
    assertEq [| Path.Combine(target, "mine.txt") |] (Directory.GetFiles target)
    let code, _, err = CliTests.run [ "results"; "export"; folder; "--out"; target; "--force"; "--format"; "csv" ]
    Assert.That(code, Is.EqualTo 0, err)
    Assert.That(File.Exists(Path.Combine(target, "mine.txt")), Is.False)
    let header = File.ReadLines(Path.Combine(target, "trials.csv")) |> Seq.head
    Assert.That(header, Is.EqualTo(String.Join(",", Columns<TrialRow>.All |> Seq.map (fun c -> c.Name))))
    Assert.That(Directory.GetFileSystemEntries tmp.Path |> Array.filter (fun f -> Path.GetFileName(f).StartsWith ".tmp~"), Is.Empty)

[<Test>]
let ``a CSV export writes nulls as empty fields, text quoted, numbers round-trip and times in ISO 8601 UTC`` () =
    use tmp = new TempDir()
    let folder = copyOfV2 tmp
    CliTests.run [ "results"; "migrate"; folder ] |> ignore
    let code, _, err = CliTests.run [ "results"; "export"; folder; "--out"; tmp.File "csv"; "--format"; "csv" ]
    Assert.That(code, Is.EqualTo 0, err)
    let csv = tmp.File "csv/trials.csv"
    Assert.That(File.ReadAllText csv, Does.StartWith "schema,trial_id,")
    StringAssert.Contains($"\n\"{ResultsSchema.Version}\",\"", File.ReadAllText csv)
    // DuckDB's own CSV reader, every field as text: nulls come back NULL, the rest as written
    use db = new Sql()

    let fields =
        db.Query($"SELECT trial_id, lr, data_dir, finished_at, config FROM read_csv({Sql.Literal csv}, all_varchar = true) ORDER BY trial_id").Rows

    let stored = ResultsReader.Query(folder, "SELECT trial_id, lr, data_dir, config FROM trials ORDER BY trial_id").Rows
    Assert.That(fields.Count, Is.EqualTo 19)

    for f, s in Seq.zip fields stored do
        assertEq (s[0], s[1], s[2], s[3]) (f[0], f[1], f[2], f[4])
        Assert.That(f[3], Does.Match "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$")

// ---- the documented schema ----

[<Test>]
let ``docs/results.md is what lrbs results schema prints from the column mapping`` () =
    let committed = File.ReadAllText(Path.Combine(root, "docs", "results.md"))
    let code, out, _ = CliTests.run [ "results"; "schema" ]
    Assert.That(code, Is.EqualTo 0)
    Assert.That(committed, Is.EqualTo out, "docs/results.md is out of date: run ./lrbs results schema > docs/results.md")

/// docs/results.md's tables: table -> [(column, documented type)].
let private documented () =
    let lines = File.ReadAllLines(Path.Combine(root, "docs", "results.md"))
    let mutable table = ""

    [
        for l in lines do
            if l.StartsWith "## " then
                table <- l.Substring 3
            elif l.StartsWith "| `" then
                let cells = l.Split '|' |> Array.map (fun s -> s.Trim())
                yield table, cells[1].Trim('`'), cells[2]
    ]
    |> List.groupBy (fun (t, _, _) -> t)
    |> List.map (fun (t, cs) -> t, cs |> List.map (fun (_, c, ty) -> c, ty))
    |> Map.ofList

/// The type each reader shows for a documented Parquet type.
let private readerType reader documentedType =
    match reader, documentedType with
    | "duckdb", "STRING" -> "VARCHAR"
    | "duckdb", "INT32" -> "INTEGER"
    | "duckdb", "INT64" -> "BIGINT"
    | "duckdb", "TIMESTAMP(us, UTC)" -> "TIMESTAMP WITH TIME ZONE"
    | "duckdb", t -> t
    | "polars", "STRING" -> "String"
    | "polars", "INT32" -> "Int32"
    | "polars", "INT64" -> "Int64"
    | "polars", "DOUBLE" -> "Float64"
    | "polars", "BOOLEAN" -> "Bool"
    | "polars", "TIMESTAMP(us, UTC)" -> "Datetime(us,UTC)"
    | r, t -> failwith $"no {r} type for {t}"

/// Runs tests/readers/read-results.mjs (polars and DuckDB from npm) over `targets`.
let private readWithOthers (targets: string list) =
    let psi = ProcessStartInfo("node", RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root)
    psi.ArgumentList.Add(Path.Combine(root, "tests", "readers", "read-results.mjs"))

    for t in targets do
        psi.ArgumentList.Add t

    use p = Process.Start psi
    let err = p.StandardError.ReadToEndAsync()
    let out = p.StandardOutput.ReadToEnd()
    p.WaitForExit()
    Assert.That(p.ExitCode, Is.EqualTo 0, err.Result)

    out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
    |> Array.map (fun l -> JsonDocument.Parse(l).RootElement)
    |> List.ofArray

[<Test>]
let ``polars and DuckDB read every committed results folder and an export, every column as docs/results.md types it`` () =
    let results = Path.Combine(root, "results")
    let folders = committedResultFolders () |> List.ofArray
    Assert.That(folders.Length, Is.GreaterThanOrEqualTo 14)
    use tmp = new TempDir()
    let export = tmp.File "export"
    let code, _, err = CliTests.run [ "results"; "export"; Path.Combine(results, "s6-schedules-fashion"); "--out"; export ]
    Assert.That(code, Is.EqualTo 0, err)

    let others =
        Directory.GetFiles(results, "*.parquet", SearchOption.AllDirectories)
        |> Array.filter (fun f -> f.Contains "/bench/" || f.Contains "/parity/")
        |> List.ofArray

    // what `lrbs report` derives, each a file of its own documented table (critical_batch)
    let derived = Directory.GetFiles(results, "critical_batch.parquet", SearchOption.AllDirectories) |> List.ofArray
    Assert.That(derived, Is.Not.Empty, "the branched studies' reports")
    let lines = readWithOthers (folders @ [ export ] @ others @ derived)
    let docs = documented ()
    let mutable checkedColumns = 0

    for l in lines do
        let target, table, reader =
            l.GetProperty("target").GetString(), l.GetProperty("table").GetString(), l.GetProperty("reader").GetString()

        let mutable error = Unchecked.defaultof<JsonElement>

        if l.TryGetProperty("error", &error) then
            Assert.Fail($"{reader} cannot read {table} of {target}: {error.GetString()}")

        match docs.TryFind table with
        | Some columns ->
            let seen = l.GetProperty("columns").EnumerateObject() |> Seq.map (fun p -> p.Name, p.Value.GetString()) |> List.ofSeq
            assertEq (columns |> List.map (fun (c, ty) -> c, readerType reader ty)) seen
            checkedColumns <- checkedColumns + seen.Length
        | None -> Assert.That(others |> List.contains target, Is.True, $"{table} of {target} is in no table of docs/results.md")

    let tables = lines |> List.map (fun l -> l.GetProperty("table").GetString()) |> Set.ofList

    for t in [ "trials"; "epochs"; "manifest"; "class_predictions"; "box_predictions" ] do
        Assert.That(tables.Contains t, Is.True, t)

    Assert.That(lines |> List.filter (fun l -> l.GetProperty("target").GetString() = export) |> List.length, Is.EqualTo 8, "4 tables x 2 readers")
    Assert.That(checkedColumns, Is.GreaterThan 2000)

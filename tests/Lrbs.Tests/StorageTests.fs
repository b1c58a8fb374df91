module Lrbs.Tests.StorageTests

open System.IO
open NUnit.Framework
open Lrbs.Tests.Support
open Lrbs.Core.Training
open Lrbs.Host.Storage

let private result seed =
    let c =
        trial
            [
                "dataset", "mnist"
                "optimizer", "adam"
                "lr", "0.001"
                "batch_size", "50"
                "max_epochs", "2"
                "seed", string seed
                "train_limit", "400"
            ]

    Trainer.run c (prepared c) Progress.None

[<Test>]
let ``a trial is written as typed Parquet parts that read back exactly`` () =
    use tmp = new TempDir()
    let store = ResultsStore(tmp.Path)
    let r = result 1
    let id = TrialConfig.id r.Config
    store.Write("unit", r, "test")
    Assert.That(store.Committed().Statuses.ContainsKey id, Is.True)
    let types = ResultsReader.Query(tmp.Path, "SELECT column_name, column_type FROM (DESCRIBE trials)")
    let typeOf name = types.Rows |> Seq.find (fun row -> row[0] = name) |> fun row -> row[1]

    for name, expected in
        [
            "trial_id", "VARCHAR"
            "lr", "DOUBLE"
            "batch_size", "INTEGER"
            "seed", "INTEGER"
            "status", "VARCHAR"
            "epochs", "INTEGER"
            "steps", "BIGINT"
            "test_metric", "DOUBLE"
            "wall_seconds", "DOUBLE"
            "finished_at", "TIMESTAMP WITH TIME ZONE"
            "data_seed", "INTEGER"
            "pool", "INTEGER"
            "pack_size", "INTEGER"
        ] do
        Assert.That(typeOf name, Is.EqualTo expected, name)

    let epochs = ResultsReader.Query(tmp.Path, "SELECT epoch, train_loss, val_loss, train_seconds FROM epochs ORDER BY epoch")
    Assert.That(epochs.Rows.Count, Is.EqualTo 2)
    Assert.That(epochs.Rows[0][2], Is.Null, "no validation split: val_loss is NULL")
    let stored = epochs.Rows |> Seq.map (fun row -> float row[1]) |> List.ofSeq
    assertEq (r.Epochs |> List.map (fun e -> e.TrainLoss)) stored
    let config = ResultsReader.Query(tmp.Path, "SELECT config, metric FROM trials").Rows[0]
    Assert.That(config[0], Is.EqualTo(TrialConfig.canonical r.Config))
    Assert.That(config[1], Is.EqualTo "accuracy")
    Assert.That(Directory.GetFiles(tmp.Path, ".tmp~*", SearchOption.AllDirectories), Is.Empty)

[<Test>]
let ``the trial id changes with any field, defaults included in the canonical text`` () =
    let c = trial [ "dataset", "mnist" ]
    Assert.That(TrialConfig.id c, Is.EqualTo(TrialConfig.id (trial [ "dataset", "mnist"; "lr", "0.010" ])))
    Assert.That(TrialConfig.id c, Has.Length.EqualTo 16)
    StringAssert.Contains("lr=0.01\n", TrialConfig.canonical c)
    StringAssert.Contains("cross_entropy=logits", TrialConfig.canonical c)

    let variants =
        [
            [ "lr", "0.001" ]
            [ "batch_size", "64" ]
            [ "seed", "2" ]
            [ "model", "cnn-box" ]
            [ "max_epochs", "6" ]
            [ "data_seed", "2" ]
            [ "pool", "5000" ]
            [ "cross_entropy", "clipped" ]
            [ "stop_when_stable", "true" ]
            [ "eval_batches", "whole" ]
        ]

    for v in variants do
        Assert.That(TrialConfig.id (trial (("dataset", "mnist") :: v)), Is.Not.EqualTo(TrialConfig.id c), $"%A{v}")

[<Test>]
let ``keys added after v1 enter the canonical text only where they apply or differ from their default`` () =
    // box_loss is part of every box trial's definition (the old exact-IoU trials keep no id of a new one)
    let plusOne = trial [ "dataset", "boxes"; "model", "cnn-box" ]
    let exact = trial [ "dataset", "boxes"; "model", "cnn-box"; "box_loss", "exact" ]
    StringAssert.Contains("box_loss=keras-plus-one", TrialConfig.canonical plusOne)
    Assert.That(TrialConfig.id plusOne, Is.Not.EqualTo(TrialConfig.id exact))
    // and absent where it cannot apply, as eval_batches is at its default: a classification trial's id is as before
    let c = TrialConfig.canonical (trial [ "dataset", "mnist" ])
    Assert.That(c, Does.Not.Contain "box_loss")
    Assert.That(c, Does.Not.Contain "eval_batches")
    // early_stopping_monitor: absent at its default (val_loss, the only monitor before the key), so
    // every early-stopped trial keeps its id; present, and a new id, when it watches the training loss
    let split = [ "dataset", "mnist"; "split", "80/10/10"; "early_stopping_patience", "3" ]
    let onVal = trial split
    Assert.That(TrialConfig.canonical onVal, Does.Not.Contain "early_stopping_monitor")
    Assert.That(TrialConfig.id (trial (split @ [ "early_stopping_monitor", "val_loss" ])), Is.EqualTo(TrialConfig.id onVal))
    let onLoss = trial (split @ [ "early_stopping_monitor", "loss" ])
    StringAssert.Contains("early_stopping_monitor=loss", TrialConfig.canonical onLoss)
    Assert.That(TrialConfig.id onLoss, Is.Not.EqualTo(TrialConfig.id onVal))

[<Test>]
let ``a foreign Parquet part is reported by its file, not skipped`` () =
    use tmp = new TempDir()
    ResultsStore(tmp.Path).Write("unit", result 2, "test")
    File.WriteAllText(Path.Combine(tmp.Path, "trials", "zz-foreign.parquet"), "not parquet at all")
    let e = Assert.Throws<ResultsException>(fun () -> ResultsReader.Query(tmp.Path, "SELECT * FROM trials") |> ignore)
    StringAssert.Contains("zz-foreign.parquet", e.Message)

[<Test>]
let ``results query prints a table and bad SQL exits 2`` () =
    use tmp = new TempDir()
    ResultsStore(tmp.Path).Write("unit", result 3, "test")
    let code, out, err = CliTests.run [ "results"; "query"; tmp.Path; "SELECT optimizer, batch_size, status FROM trials" ]
    Assert.That(code, Is.EqualTo 0, err)
    StringAssert.Contains("adam", out)
    StringAssert.Contains("1 rows", out)
    let code, _, err = CliTests.run [ "results"; "query"; tmp.Path; "SELECT nope FROM trials" ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains("nope", err)

/// Rewrites a committed trial part with one column replaced (as another tool or version might),
/// keeping its schema version in the metadata.
let private rewritePart (folder: string) (id: string) (replace: string) =
    let path = Path.Combine(folder, "trials", id + ".parquet")
    let copy = path + ".copy.parquet"
    use db = new Sql()

    db.Execute(
        $"COPY (SELECT * REPLACE ({replace}) FROM read_parquet('{path}')) TO '{copy}' (FORMAT parquet, KV_METADATA {{'lrbs.schema': '{ResultsSchema.Version}'}})"
    )

    File.Move(copy, path, true)

[<Test>]
let ``an unknown status in a results folder is an error naming the file`` () =
    use tmp = new TempDir()
    let store = ResultsStore(tmp.Path)
    let r = result 4
    store.Write("unit", r, "test")
    let id = TrialConfig.id r.Config
    rewritePart tmp.Path id "'finished' AS status"
    let e = Assert.Throws<ResultsException>(fun () -> store.Committed() |> ignore)
    StringAssert.Contains($"{id}.parquet: unknown trial status 'finished'; allowed: ok, stopped_early, diverged, failed", e.Message)
    assertEq (Ok TrialStatus.Diverged) (TrialStatus.parse "diverged" None)
    Assert.That((TrialStatus.parse "Diverged" None).IsError, Is.True, "the parse is strict: case matters")

[<Test>]
let ``an older-schema part and an empty folder are errors naming the file or folder, exit 2`` () =
    use tmp = new TempDir()
    let r = result 5
    ResultsStore(tmp.Path).Write("unit", r, "test")
    rewritePart tmp.Path (TrialConfig.id r.Config) "'lrbs-results/1' AS schema"
    let code, _, err = CliTests.run [ "results"; "query"; tmp.Path; "SELECT count(*) FROM trials" ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains($"{TrialConfig.id r.Config}.parquet: written with lrbs-results/1, older than any this lrbs migrates (lrbs-results/2 and later)", err)
    use empty = new TempDir()
    let code, _, err = CliTests.run [ "results"; "query"; empty.Path; "SELECT count(*) FROM trials" ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains($"{empty.Path} holds no results", err)
    let code, _, err = CliTests.run [ "results"; "query"; empty.File "nowhere"; "SELECT 1" ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains("results folder not found", err)

[<Test>]
let ``orphaned temporary files of dead processes on this host are removed, a live or foreign writer's are not`` () =
    use tmp = new TempDir()
    let dir = tmp.File "trials"
    Directory.CreateDirectory dir |> ignore
    let mine = Durable.TempPath(Path.Combine(dir, "a.parquet")) // this live process
    let host = Path.GetFileName(mine).Split('~')[1]
    let dead = Path.Combine(dir, $".tmp~{host}~999999~1~x~b.parquet") // no such pid
    let reused = Path.Combine(dir, $".tmp~{host}~{System.Environment.ProcessId}~1~x~c.parquet") // our pid, another start time
    let foreign = Path.Combine(dir, ".tmp~another_host~1~1~x~d.parquet")

    for f in [ mine; dead; reused; foreign ] do
        File.WriteAllText(f, "partial")

    let removed = Durable.RemoveOrphans tmp.Path |> Set.ofSeq
    assertEq (Set.ofList [ dead; reused ]) removed
    Assert.That(File.Exists mine && File.Exists foreign, Is.True)

[<Test>]
let ``a live writer's start time reads the same from every process, so its temporary file is never taken for an orphan`` () =
    use tmp = new TempDir()
    // a live process other than this one, and the start time its temporary files would carry
    use child = System.Diagnostics.Process.Start("sleep", "30")

    try
        let ticks = Durable.StartTicks child.Id
        Assert.That(ticks.HasValue, Is.True)
        // the same number every time it is read, here and from other processes (a shell reading /proc)
        for _ in 1..50 do
            Assert.That(Durable.StartTicks child.Id, Is.EqualTo ticks)

        let struct (code, out, _) =
            Lrbs.Host.Bench.Peer.Exec("sh", [ "-c"; $"cut -d')' -f2 /proc/{child.Id}/stat | cut -d' ' -f21" ])

        Assert.That((code, out.Trim()), Is.EqualTo((0, string ticks.Value)))
        let host = Path.GetFileName(Durable.TempPath(tmp.File "x.parquet")).Split('~')[1]
        let live = tmp.File $".tmp~{host}~{child.Id}~{ticks.Value}~x~e.parquet"
        File.WriteAllText(live, "partial")
        Assert.That(Durable.IsOrphan live, Is.False)
        child.Kill()
        child.WaitForExit()
        Assert.That(Durable.IsOrphan live, Is.True, "once the writer is gone its file is an orphan")
    finally
        if not child.HasExited then
            child.Kill()

[<Test>]
let ``a writer that has exited but is not yet reaped (a zombie) is gone: its temporary file is an orphan`` () =
    use tmp = new TempDir()
    // sh starts a short sleep, prints its pid and becomes a long sleep that never reaps it
    let psi =
        System.Diagnostics.ProcessStartInfo("sh", [| "-c"; "sleep 0.1 & echo $!; exec sleep 30" |], RedirectStandardOutput = true)

    use parent = System.Diagnostics.Process.Start psi

    try
        let pid = int (parent.StandardOutput.ReadLine())

        let state () =
            try
                let stat = File.ReadAllText $"/proc/{pid}/stat"
                stat.Substring(stat.LastIndexOf ')' + 2, 1).[0]
            with _ ->
                '?'

        let clock = System.Diagnostics.Stopwatch.StartNew()

        while state () <> 'Z' && clock.Elapsed.TotalSeconds < 10.0 do
            System.Threading.Thread.Sleep 20

        Assert.That(string (state ()), Is.EqualTo "Z", "the child became a zombie")
        let ticks = Durable.StartTicks pid
        Assert.That(ticks.HasValue, Is.True, "a zombie still has its /proc entry and start time")
        let host = Path.GetFileName(Durable.TempPath(tmp.File "x.parquet")).Split('~')[1]
        let zombie = tmp.File $".tmp~{host}~{pid}~{ticks.Value}~x~z.parquet"
        let parentTicks = (Durable.StartTicks parent.Id).Value
        let live = tmp.File $".tmp~{host}~{parent.Id}~{parentTicks}~x~p.parquet"

        for f in [ zombie; live ] do
            File.WriteAllText(f, "partial")

        Assert.That(Durable.IsOrphan zombie, Is.True, "a zombie writes nothing more")
        Assert.That(Durable.IsOrphan live, Is.False, "its live parent's file is kept")
    finally
        if not parent.HasExited then
            parent.Kill()

/// Makes `tmp` a git repository whose one commit holds what `write` put there; returns its short commit.
let private committedRepo (tmp: TempDir) (write: unit -> unit) =
    let git (args: string list) =
        let struct (code, out, err) = Lrbs.Host.Bench.Peer.Exec("git", "-C" :: tmp.Path :: args)
        Assert.That(code, Is.EqualTo 0, err)
        out.Trim()

    git [ "init"; "-q" ] |> ignore
    write ()
    git [ "add"; "." ] |> ignore
    git [ "-c"; "user.email=t@t"; "-c"; "user.name=t"; "commit"; "-qm"; "c" ] |> ignore
    git [ "rev-parse"; "--short=12"; "HEAD" ]

[<Test>]
let ``code_version is the commit, with -dirty when tracked code outside results has changes`` () =
    use tmp = new TempDir()

    let commit =
        committedRepo tmp (fun () ->
            Directory.CreateDirectory(tmp.File "results") |> ignore
            File.WriteAllText(tmp.File "code.fs", "let x = 1")
            File.WriteAllText(tmp.File "results/r.txt", "1"))

    Assert.That(Lrbs.Host.Storage.CodeVersion.Of tmp.Path, Is.EqualTo commit)
    File.WriteAllText(tmp.File "results/r.txt", "2")
    Assert.That(Lrbs.Host.Storage.CodeVersion.Of tmp.Path, Is.EqualTo commit, "results are not code")
    File.WriteAllText(tmp.File "code.fs", "let x = 2")
    Assert.That(Lrbs.Host.Storage.CodeVersion.Of tmp.Path, Is.EqualTo(commit + "-dirty"))
    Assert.That(Lrbs.Host.Storage.CodeVersion.Of(tmp.File "not-a-repo"), Is.EqualTo "unknown")

[<Test>]
let ``the data folder the README has users generate into (data/shapes) leaves the code version clean`` () =
    use tmp = new TempDir()

    let commit =
        committedRepo tmp (fun () ->
            File.Copy(Path.Combine(Lrbs.Core.Data.Registry.repositoryRoot (), ".gitignore"), tmp.File ".gitignore")
            File.WriteAllText(tmp.File "code.fs", "let x = 1"))

    Directory.CreateDirectory(tmp.File "data/shapes/circle") |> ignore
    File.WriteAllText(tmp.File "data/shapes/circle/0.png", "an image")
    Assert.That(Lrbs.Host.Storage.CodeVersion.Of tmp.Path, Is.EqualTo commit, "S4/S5 on the stand-in must not record -dirty")
    File.WriteAllText(tmp.File "new.fs", "let y = 1")
    Assert.That(Lrbs.Host.Storage.CodeVersion.Of tmp.Path, Is.EqualTo(commit + "-dirty"), "an untracked source file is a change")

[<Test>]
let ``an unknown early-stopping monitor is one error, naming it, not also a missing validation part`` () =
    match TrialConfig.build [ "dataset", "mnist"; "early_stopping_patience", "3"; "early_stopping_monitor", "val-loss" ] with
    | Error [ e ] ->
        Assert.That(e.Field, Is.EqualTo "early_stopping_monitor")
        StringAssert.Contains("unknown monitor 'val-loss' (did you mean 'val_loss'?)", e.Message)
    | other -> Assert.Fail $"expected one error, got %A{other}"
    // on the training loss, no validation part is needed
    Assert.That(
        (TrialConfig.build [ "dataset", "mnist"; "early_stopping_patience", "3"; "early_stopping_monitor", "loss" ])
        |> Result.isOk,
        Is.True
    )

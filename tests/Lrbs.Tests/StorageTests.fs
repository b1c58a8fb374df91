module Lrbs.Tests.StorageTests

open System.IO
open NUnit.Framework
open Lrbs.Tests.Support
open Lrbs.Core.Training
open Lrbs.Host.Storage

let private trial seed =
    let c = { TrialConfig.create "mnist" "mlp-100-50" "adam" 0.001 50 2 seed with TrainLimit = Some 400 }
    match Trainer.prepare c with
    | Ok d -> Trainer.run c d Progress.None
    | Error e -> failwithf "%A" e

[<Test>]
let ``a trial is written as typed Parquet parts that read back exactly`` () =
    use tmp = new TempDir()
    let store = ResultsStore(tmp.Path)
    let r = trial 1
    let id = TrialConfig.id r.Config
    Assert.That(store.IsFinished id, Is.False)
    store.Write("unit", r, "test")
    Assert.That(store.IsFinished id, Is.True)
    let types = ResultsReader.Query(tmp.Path, "SELECT column_name, column_type FROM (DESCRIBE trials)")
    let typeOf name = types.Rows |> Seq.find (fun row -> row[0] = name) |> fun row -> row[1]
    for name, expected in [ "trial_id", "VARCHAR"; "lr", "DOUBLE"; "batch_size", "INTEGER"; "seed", "INTEGER"; "status", "VARCHAR"
                            "epochs", "INTEGER"; "steps", "BIGINT"; "test_accuracy", "DOUBLE"; "wall_seconds", "DOUBLE"; "finished_at", "TIMESTAMP" ] do
        Assert.That(typeOf name, Is.EqualTo expected, name)
    let epochs = ResultsReader.Query(tmp.Path, "SELECT epoch, train_loss, val_loss FROM epochs ORDER BY epoch")
    Assert.That(epochs.Rows.Count, Is.EqualTo 2)
    Assert.That(epochs.Rows[0][2], Is.Null, "no validation split: val_loss is NULL")
    let stored = epochs.Rows |> Seq.map (fun row -> float row[1]) |> List.ofSeq
    assertEq (r.Epochs |> List.map (fun e -> e.TrainLoss)) stored
    Assert.That(Directory.GetFiles(tmp.Path, ".tmp-*", SearchOption.AllDirectories), Is.Empty)

[<Test>]
let ``the trial id is stable and changes with any field`` () =
    let c = TrialConfig.create "mnist" "mlp-100-50" "sgd" 0.01 32 5 1
    Assert.That(TrialConfig.id c, Is.EqualTo(TrialConfig.id { c with Lr = 0.01 }))
    Assert.That(TrialConfig.id c, Has.Length.EqualTo 16)
    let variants = [ { c with Lr = 0.001 }; { c with BatchSize = 64 }; { c with Seed = 2 }; { c with Model = "cnn-box" }; { c with Stopping = Stopping.Epochs 6 } ]
    for v in variants do
        Assert.That(TrialConfig.id v, Is.Not.EqualTo(TrialConfig.id c))

[<Test>]
let ``a corrupt Parquet part is reported by its folder, not skipped`` () =
    use tmp = new TempDir()
    ResultsStore(tmp.Path).Write("unit", trial 2, "test")
    File.WriteAllText(Path.Combine(tmp.Path, "trials", "zz-foreign.parquet"), "not parquet at all")
    let e = Assert.Throws<StorageException>(fun () -> ResultsReader.Query(tmp.Path, "SELECT * FROM trials") |> ignore)
    StringAssert.Contains("trials", e.Message)
    StringAssert.Contains("zz-foreign.parquet", e.Message)

[<Test>]
let ``results query prints a table and bad SQL exits 2`` () =
    use tmp = new TempDir()
    ResultsStore(tmp.Path).Write("unit", trial 3, "test")
    let code, out, err = CliTests.run [ "results"; "query"; tmp.Path; "SELECT optimizer, batch_size, status FROM trials" ]
    Assert.That(code, Is.EqualTo 0, err)
    StringAssert.Contains("adam", out)
    StringAssert.Contains("1 rows", out)
    let code, _, err = CliTests.run [ "results"; "query"; tmp.Path; "SELECT nope FROM trials" ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains("nope", err)

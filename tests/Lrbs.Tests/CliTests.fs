module Lrbs.Tests.CliTests

open System
open System.IO
open System.Text.Json
open NUnit.Framework
open Lrbs.Tests.Support

/// Runs the CLI in-process; returns (exit code, stdout, stderr).
let run (args: string list) =
    use out = new StringWriter()
    use err = new StringWriter()
    let code = Lrbs.Host.Cli.CommandLine.Run(Array.ofList args, out, err)
    code, out.ToString(), err.ToString()

[<Test>]
let ``train --help lists every trial key as an option with its default`` () =
    let code, out, _ = run [ "train"; "--help" ]
    Assert.That(code, Is.EqualTo 0)

    for o in
        [
            "--dataset"
            "--model"
            "--optimizer"
            "--lr"
            "--batch-size"
            "--epochs"
            "--seed"
            "--json"
            "--split"
            "--threads"
            "--pool"
            "--data-seed"
            "--cross-entropy"
            "--schedule"
            "--scaling"
            "--noise-scale-every"
            "--early-stopping"
        ] do
        StringAssert.Contains(o, out)

    StringAssert.Contains("(default 32)", out)

let badInputs: obj[] list =
    [
        [| [ "--dataset"; "cifar" ]; "--dataset: unknown dataset 'cifar'; allowed: fashion-mnist, mnist" |]
        [| [ "--dataset"; "mnist"; "--model"; "vgg" ]; "--model: unknown model 'vgg'; allowed: mlp-100-50" |]
        [| [ "--dataset"; "mnist"; "--optimizer"; "lion" ]; "--optimizer: unknown optimizer 'lion'; allowed: sgd" |]
        [| [ "--dataset"; "mnist"; "--lr"; "-0.1" ]; "--lr: expected a number > 0, got '-0.1'" |]
        [| [ "--dataset"; "mnist"; "--lr"; "0" ]; "--lr: expected a number > 0, got '0'" |]
        [| [ "--dataset"; "mnist"; "--lr"; "abc" ]; "--lr: expected a number > 0, got 'abc'" |]
        [| [ "--dataset"; "mnist"; "--batch-size"; "0" ]; "--batch-size: expected an integer >= 1, got '0'" |]
        [| [ "--dataset"; "mnist"; "--batch-size"; "90000" ]; "batch size 90000 is larger than the training set (56000 rows)" |]
        [|
            [ "--dataset"; "mnist"; "--data-dir"; "/nonexistent/idx" ]
            "data file not found: /nonexistent/idx/train-images-idx3-ubyte"
        |]
        [| [ "--dataset"; "boxes"; "--split"; "official" ]; "--split: this dataset has no official train/test split" |]
        [| [ "--dataset"; "mnist"; "--box-loss"; "exact" ]; "--box-loss: dataset mnist has no box targets" |]
        [|
            [ "--dataset"; "boxes"; "--box-loss"; "plus-one" ]
            "--box-loss: unknown 1 - IoU form 'plus-one'; allowed: keras-plus-one, exact"
        |]
        [|
            [ "--dataset"; "mnist"; "--eval-batches"; "some" ]
            "--eval-batches: unknown evaluation 'some'; allowed: all, whole"
        |]
        [|
            [ "--dataset"; "mnist"; "--early-stopping"; "3" ]
            "--early-stopping: early stopping watches the validation loss, but split 80/20 has no validation part"
        |]
        [|
            [ "--dataset"; "mnist"; "--schedule"; "plateau:0.5:2" ]
            "--schedule: schedule plateau:0.5:2:0:0.0001:0 watches the validation loss"
        |]
        [|
            [ "--dataset"; "mnist"; "--warmup-epochs"; "2" ]
            "--warmup-epochs: warm-up rises to a scaled rate: it needs scaling"
        |]
        [|
            [ "--dataset"; "mnist"; "--noise-scale-every"; "10"; "--noise-scale-small"; "5" ]
            "--noise-scale-small: the small batch (5) must divide batch_size (32)"
        |]
        [|
            [ "--dataset"; "mnist"; "--noise-scale-every"; "10"; "--noise-scale-small"; "32" ]
            "--noise-scale-small: the small batch (32) must be smaller than batch_size (32)"
        |]
        [|
            [ "--dataset"; "mnist"; "--noise-scale-every"; "0"; "--noise-scale-small"; "2" ]
            "--noise-scale-every: expected an integer >= 1, got '0'"
        |]
        [| [ "--dataset"; "mnist"; "--threads"; "0" ]; "--threads: expected an integer >= 1, got '0'" |]
        [| [ "--model"; "mlp-100-50" ]; "--dataset" |]
    ]

[<TestCaseSource(nameof badInputs)>]
let ``bad input exits 2 with one clear message`` (args: string list, expected: string) =
    let code, out, err = run ("train" :: args)
    Assert.That(code, Is.EqualTo 2, err)
    StringAssert.Contains(expected, err)
    Assert.That(out, Is.Empty)

[<Test>]
let ``--json prints the trial row with every column and the epoch rows; reruns are identical`` () =
    let args =
        [
            "train"
            "--dataset"
            "mnist"
            "--train-limit"
            "600"
            "--epochs"
            "2"
            "--batch-size"
            "30"
            "--optimizer"
            "adam"
            "--lr"
            "0.001"
            "--json"
        ]

    let code, out, err = run args
    Assert.That(code, Is.EqualTo 0, err)
    use doc = JsonDocument.Parse out
    let trial = doc.RootElement.GetProperty "trial"
    // every column of the trial part, by the record's own names: one mapping for Parquet and JSON
    let keys = trial.EnumerateObject() |> Seq.map (fun p -> p.Name) |> List.ofSeq
    assertEq (Lrbs.Host.Storage.Rows.Columns<Lrbs.Host.Storage.Rows.TrialRow>.All |> Seq.map (fun c -> c.Name) |> List.ofSeq) keys
    Assert.That(trial.GetProperty("optimizer").GetString(), Is.EqualTo "adam")
    Assert.That(trial.GetProperty("batch_size").GetInt32(), Is.EqualTo 30)
    Assert.That(trial.GetProperty("cross_entropy").GetString(), Is.EqualTo "logits")
    Assert.That(trial.GetProperty("status").GetString(), Is.EqualTo "ok")
    Assert.That(trial.GetProperty("steps").GetInt32(), Is.EqualTo 40)
    Assert.That(trial.GetProperty("test_metric").GetDouble(), Is.InRange(0.5, 1.0))
    Assert.That(trial.GetProperty("metric").GetString(), Is.EqualTo "accuracy")
    let epochs = doc.RootElement.GetProperty "epochs"
    Assert.That(epochs.GetArrayLength(), Is.EqualTo 2)
    let losses (e: JsonElement) = e.EnumerateArray() |> Seq.map (fun x -> x.GetProperty("train_loss").GetRawText()) |> List.ofSeq
    let _, again, _ = run args
    use doc2 = JsonDocument.Parse again
    assertEq (losses epochs) (losses (doc2.RootElement.GetProperty "epochs"))

[<Test>]
let ``the live display prints a line per epoch and the final accuracy`` () =
    let code, out, err = run [ "train"; "--dataset"; "mnist"; "--train-limit"; "300"; "--epochs"; "2"; "--batch-size"; "30" ]
    Assert.That(code, Is.EqualTo 0, err)
    StringAssert.Contains("epoch   1", out)
    StringAssert.Contains("epoch   2", out)
    StringAssert.Contains("final test accuracy", out)

[<Test>]
let ``list names the datasets, models and optimizers`` () =
    let code, out, _ = run [ "list" ]
    Assert.That(code, Is.EqualTo 0)

    for name in [ "fashion-mnist"; "mnist"; "mlp-100-50"; "cnn-box"; "adam-bias-corrected" ] do
        StringAssert.Contains(name, out)

[<Test>]
let ``one place maps failures to exit codes: input 2, a missing library 3, a bug (even an ArgumentException) 1 with its trace`` () =
    let report (e: exn) =
        use err = new StringWriter()
        let code = Lrbs.Host.Cli.Failures.Report(e, err)
        code, err.ToString()

    let thrown (e: exn) =
        try
            raise e
        with e ->
            e // with a stack trace, as a command's would have

    for e in
        [
            Lrbs.Host.Sweeps.SweepFileException "grid: bad" :> exn
            Lrbs.Host.Cli.InputException "--pack-size: bad"
            Lrbs.Host.Storage.ResultsException "folder: bad"
        ] do
        let code, text = report (thrown e)
        Assert.That(code, Is.EqualTo Lrbs.Host.Cli.ExitCodes.BadInput, e.GetType().Name)
        Assert.That(text, Is.EqualTo($"error: {e.Message}{System.Environment.NewLine}"))

    let code, text = report (thrown (System.DllNotFoundException "liblrbs_native.so: cannot open"))
    Assert.That(code, Is.EqualTo Lrbs.Host.Cli.ExitCodes.Setup)
    StringAssert.Contains("./scripts/setup.sh", text)
    let code, text = report (thrown (System.ArgumentException "index out of range in a helper"))
    Assert.That(code, Is.EqualTo Lrbs.Host.Cli.ExitCodes.Failed)
    StringAssert.Contains("internal error (a bug in lrbs", text)
    StringAssert.Contains("   at ", text)

[<Test>]
let ``./lrbs runs the precompiled host while no file of the build is newer, else the build itself`` () =
    // The launcher copied into a fake tree, with a `dotnet` on PATH that prints the assembly it was given.
    use tmp = new TempDir()
    let root = Lrbs.Core.Data.Registry.repositoryRoot ()
    let bin = tmp.File "src/Host.CSharp/bin/Release/net10.0"
    let fast = tmp.File "build/host"
    let stubs = tmp.File "stubs"

    for d in [ bin; fast; stubs ] do
        IO.Directory.CreateDirectory d |> ignore

    IO.File.Copy(IO.Path.Combine(root, "lrbs"), tmp.File "lrbs")
    IO.File.WriteAllText(IO.Path.Combine(stubs, "dotnet"), "#!/usr/bin/env bash\necho \"$1\"\n")

    for f in [ tmp.File "lrbs"; IO.Path.Combine(stubs, "dotnet") ] do
        IO.File.SetUnixFileMode(f, IO.UnixFileMode.UserRead ||| IO.UnixFileMode.UserWrite ||| IO.UnixFileMode.UserExecute)

    let at (path: string) (minutes: float) =
        if not (IO.File.Exists path) then
            IO.File.WriteAllText(path, "")

        IO.File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes minutes)

    let launched () =
        let psi =
            Diagnostics.ProcessStartInfo(tmp.File "lrbs", [ "--version" ], RedirectStandardOutput = true, RedirectStandardError = true)

        psi.Environment["PATH"] <- stubs + ":" + Environment.GetEnvironmentVariable "PATH"
        use p = Diagnostics.Process.Start psi
        let out = p.StandardOutput.ReadToEnd()
        p.WaitForExit()
        Assert.That(p.ExitCode, Is.EqualTo 0, p.StandardError.ReadToEnd())
        out.Trim()

    at (IO.Path.Combine(bin, "lrbs.dll")) -10.0
    at (IO.Path.Combine(bin, "Lrbs.Core.dll")) -10.0
    at (IO.Path.Combine(bin, "liblrbs_native.so")) -10.0
    at (IO.Path.Combine(fast, "lrbs.dll")) -20.0 // published files keep their build's time
    Assert.That(launched (), Is.EqualTo(IO.Path.Combine(bin, "lrbs.dll")), "no publish stamp: the build")
    at (IO.Path.Combine(fast, ".published")) -5.0
    Assert.That(launched (), Is.EqualTo(IO.Path.Combine(fast, "lrbs.dll")), "published after the build: the precompiled copy")
    at (IO.Path.Combine(bin, "Lrbs.Core.dll")) -1.0 // a rebuilt core after the publish
    Assert.That(launched (), Is.EqualTo(IO.Path.Combine(bin, "lrbs.dll")), "the build is newer: run as built")
    at (IO.Path.Combine(bin, "Lrbs.Core.dll")) -10.0
    at (IO.Path.Combine(bin, "liblrbs_native.so")) -1.0 // a rebuilt native engine
    Assert.That(launched (), Is.EqualTo(IO.Path.Combine(bin, "lrbs.dll")))
    at (IO.Path.Combine(bin, "liblrbs_native.so")) -10.0
    at (IO.Path.Combine(fast, ".published")) -5.0 // setup published again
    Assert.That(launched (), Is.EqualTo(IO.Path.Combine(fast, "lrbs.dll")), "republished: the precompiled copy again")
    IO.File.Delete(IO.Path.Combine(fast, "lrbs.dll"))
    Assert.That(launched (), Is.EqualTo(IO.Path.Combine(bin, "lrbs.dll")), "nothing published: the build")

module Lrbs.Tests.ReportTests

open System.Diagnostics
open System.IO
open System.Text.RegularExpressions
open NUnit.Framework
open Lrbs.Tests.Support

/// Runs a sweep file's text into `out`.
let private sweep (dir: TempDir) (name: string) (yaml: string) =
    let f = dir.File(name + ".yaml")
    File.WriteAllText(f, yaml)
    let code, _, err = CliTests.run [ "sweep"; "run"; f; "--workers"; "2" ]
    Assert.That(code, Is.EqualTo 0, err)

/// One results folder with a grid (repeats, a diverged cell), schedule regimes with predictions, and box predictions.
let private studyFolder (dir: TempDir) =
    let out = dir.File "results"

    sweep
        dir
        "grid"
        $"name: grid\ndataset: mnist\ntrain_limit: 600\nmodel: mlp-100-50\noptimizer: sgd\ngrid:\n  batch_size: [16, 64]\n  lr: [0.01, 0.1, 1.0e+30]\nrepeats: 2\nstopping:\n  max_epochs: 3\nout: {out}\n"

    sweep
        dir
        "regimes"
        $"name: regimes\ndataset: mnist\ntrain_limit: 600\nsplit: 80/10/10\nmodel: mlp-100-50\noptimizer: adam\nlr: 0.001\nbatch_size: 32\npredictions: true\ngrid:\n  schedule: [constant, \"plateau:0.5:1\"]\nstopping:\n  max_epochs: 3\nout: {out}\n"

    sweep
        dir
        "boxes"
        $"name: boxes\ndataset: boxes\ntrain_limit: 300\nmodel: cnn-box\noptimizer: adam\nlr: 0.001\nbatch_size: 32\npredictions: true\nstopping:\n  max_epochs: 2\nout: {out}\n"

    out

/// Reports `results` into `out` (exit code 0 asserted) and returns summary.md.
let private summaryOf (results: string) (out: string) (args: string list) =
    let code, _, err = CliTests.run ([ "report"; results; "--out"; out ] @ args)
    Assert.That(code, Is.EqualTo 0, err)
    File.ReadAllText(Path.Combine(out, "summary.md"))

/// Opens a page in headless Chromium: (the DOM, the console lines, the exit code); saves a screenshot when asked.
let chromium (page: string) (screenshot: string option) =
    let run (args: string list) =
        let psi = ProcessStartInfo("chromium", RedirectStandardOutput = true, RedirectStandardError = true)

        for a in
            [
                "--headless=new"
                "--no-sandbox"
                "--disable-gpu"
                "--disable-background-networking"
                "--disable-component-update"
                "--disable-sync"
                "--no-first-run"
                "--hide-scrollbars"
                "--enable-logging=stderr"
                "--v=0"
            ]
            @ args
            @ [ "file://" + page ] do
            psi.ArgumentList.Add a

        use p = Process.Start psi
        let err = p.StandardError.ReadToEndAsync()
        let out = p.StandardOutput.ReadToEnd()
        p.WaitForExit()
        out, err.Result, p.ExitCode

    let dom, log, code = run [ "--dump-dom" ]
    screenshot |> Option.iter (fun png -> run [ $"--screenshot={png}"; "--window-size=1250,3000" ] |> ignore)
    dom, log.Split('\n') |> Array.filter (fun l -> l.Contains ":CONSOLE") |> List.ofArray, code

[<Test>]
let ``the console check of the rendering test sees a page's errors`` () =
    use tmp = new TempDir()
    let page = tmp.File "error.html"
    File.WriteAllText(page, "<html><body><script>console.error('boom'); missing();</script></body></html>")
    let _, console, _ = chromium page None
    Assert.That(console.Length, Is.EqualTo 2, String.concat "\n" console)

[<Test>]
let ``the report renders every figure in Chromium with no console error, and holds every section`` () =
    use tmp = new TempDir()
    let results = studyFolder tmp
    let out = tmp.File "report"
    let code, output, err = CliTests.run [ "report"; results; "--out"; out ]
    Assert.That(code, Is.EqualTo 0, err)
    StringAssert.Contains("report.html", output)
    let figures = Directory.GetFiles(Path.Combine(out, "figures"), "*.svg")
    Assert.That(figures.Length, Is.GreaterThanOrEqualTo 6)
    let html = File.ReadAllText(Path.Combine(out, "report.html"))

    for fragment in
        [
            "★"
            "Fitted scaling exponent: k = "
            "diverged"
            "training regimes"
            "precision"
            "all labels right"
            "box errors on the test set"
            "negligible"
            "steps to reach"
            "Failed, diverged and collapsed trials"
            "code version"
        ] do
        StringAssert.Contains(fragment, html)

    Assert.That(html, Does.Not.Contain "{{figure:", "every figure was placed")
    Assert.That(Regex.IsMatch(html, "(src|href)=\"(https?:)?//"), Is.False, "the report loads nothing from a network")
    let summary = File.ReadAllText(Path.Combine(out, "summary.md"))
    StringAssert.Contains("| batch \\ lr |", summary)
    // the same folder gives the same report, byte for byte (committed reports change only when results do)
    let again = tmp.File "report-again"
    let code, _, err = CliTests.run [ "report"; results; "--out"; again ]
    Assert.That(code, Is.EqualTo 0, err)

    for f in Directory.GetFiles(out, "*", SearchOption.AllDirectories) do
        let twin = Path.Combine(again, Path.GetRelativePath(out, f))
        Assert.That(File.ReadAllBytes twin = File.ReadAllBytes f, Is.True, $"{Path.GetRelativePath(out, f)} differs between two runs")

    let screenshot = Path.Combine(TestContext.CurrentContext.WorkDirectory, "report-screenshot.png")
    let dom, console, chromeCode = chromium (Path.Combine(out, "report.html")) (Some screenshot)
    Assert.That(chromeCode, Is.EqualTo 0)
    Assert.That(console, Is.Empty, String.concat "\n" console)
    let svgs = Regex.Matches(dom, "<svg[^>]*class=\"marks\"")
    Assert.That(svgs.Count, Is.EqualTo figures.Length, "every figure is in the page")
    Assert.That(Regex.Matches(dom, "<path").Count, Is.GreaterThan(figures.Length * 5), "the figures have marks")
    Assert.That(FileInfo(screenshot).Length, Is.GreaterThan 50000L)
    TestContext.AddTestAttachment(screenshot, "the rendered report")

[<Test>]
let ``a published table is compared cell by cell and its denominators are read`` () =
    use tmp = new TempDir()
    let results = tmp.File "results"

    sweep
        tmp
        "grid"
        $"name: grid\ndataset: mnist\ntrain_limit: 600\nmodel: mlp-100-50\noptimizer: sgd\ngrid:\n  batch_size: [16, 64]\n  lr: [0.01, 0.1]\nstopping:\n  max_epochs: 2\nout: {results}\n"
    // "published": k/500 for every cell, printed with 4 decimals
    let table = tmp.File "published.csv"

    File.WriteAllLines(
        table,
        [
            "optimizer,batch_size,lr,value"
            "sgd,16,0.01,0.7120"
            "sgd,16,0.1,0.8340"
            "sgd,64,0.01,0.4460"
            "sgd,64,0.1,0.7900"
        ]
    )

    let out = tmp.File "report"
    let code, _, err = CliTests.run [ "report"; results; "--out"; out; "--compare"; table ]
    Assert.That(code, Is.EqualTo 0, err)
    let html = File.ReadAllText(Path.Combine(out, "report.html"))
    StringAssert.Contains("Mean absolute difference", html)
    StringAssert.Contains("agrees in", html)
    StringAssert.Contains("N = ", html)
    StringAssert.Contains("published std. error", html)

let badReports: obj[] list =
    [
        [| [ "--slice"; "batch_size=33" ]; "--slice 'batch_size=33' matches no trial" |]
        [| [ "--slice"; "width=3" ]; "--slice 'width=3': expected KEY=VALUE" |]
        [| [ "--target"; "high" ]; "--target: expected a number, got 'high'" |]
        [|
            [ "--band-tolerance"; "0" ]
            "--band-tolerance: expected a positive fraction of the best score (0.01 for 1%), got '0'"
        |]
        [|
            [ "--band-tolerance"; "-0.1" ]
            "--band-tolerance: expected a positive fraction of the best score (0.01 for 1%), got '-0.1'"
        |]
        [| [ "--rules-base"; "32" ]; "--rules-base: batch size 32 is not in the grid of" |]
        [| [ "--compare"; "COLUMNS" ]; "unknown column(s) accuracy" |]
        [| [ "--compare"; "OUTSIDE" ]; "line 2: cell (optimizer sgd, batch_size 4096, lr 0.01) is outside the measured grid" |]
    ]

[<TestCaseSource(nameof badReports)>]
let ``bad report input exits 2 naming the value and writes nothing`` (args: string list, expected: string) =
    use tmp = new TempDir()
    let results = tmp.File "results"

    sweep
        tmp
        "grid"
        $"name: grid\ndataset: mnist\ntrain_limit: 300\nmodel: mlp-100-50\noptimizer: sgd\nlr: 0.01\ngrid:\n  batch_size: [16, 64]\nstopping:\n  max_epochs: 1\nout: {results}\n"

    File.WriteAllLines(tmp.File "COLUMNS", [ "optimizer,batch_size,lr,accuracy"; "sgd,16,0.01,0.5" ])
    File.WriteAllLines(tmp.File "OUTSIDE", [ "optimizer,batch_size,lr,value"; "sgd,4096,0.01,0.5" ])
    let args = args |> List.map (fun a -> if a = "COLUMNS" || a = "OUTSIDE" then tmp.File a else a)
    let out = tmp.File "report"
    let code, _, err = CliTests.run ([ "report"; results; "--out"; out ] @ args)
    Assert.That(code, Is.EqualTo 2, err)
    StringAssert.Contains(expected, err)
    Assert.That(Directory.Exists out, Is.False, "nothing written")

[<Test>]
let ``an empty or foreign folder is refused naming it`` () =
    use tmp = new TempDir()
    let code, _, err = CliTests.run [ "report"; tmp.Path ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains("holds no results", err)
    Directory.CreateDirectory(tmp.File "trials") |> ignore
    File.WriteAllText(tmp.File "trials/x.parquet", "not parquet")
    let code, _, err = CliTests.run [ "report"; tmp.Path ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains("x.parquet: not a readable Parquet part", err)

[<Test>]
let ``a critical batch size outside the measured batch sizes is called an extrapolation`` () =
    StringAssert.Contains("beyond the largest batch size measured (256)", Lrbs.Host.Report.CriticalBatchSection.Outside(4799.0, 4, 256))
    StringAssert.Contains("below the smallest batch size measured (4)", Lrbs.Host.Report.CriticalBatchSection.Outside(2.0, 4, 256))
    Assert.That(Lrbs.Host.Report.CriticalBatchSection.Outside(40.0, 4, 256), Is.Null)

[<Test>]
let ``the critical batch size section: the grid's B_crit, the noise scale at the target's loss, a verdict only where its premises hold`` () =
    use tmp = new TempDir()
    let results = tmp.File "results"

    sweep
        tmp
        "gns"
        $"name: gns\ndataset: mnist\ntrain_limit: 600\nmodel: mlp-100-50\noptimizer: sgd\ngrid:\n  lr: [0.02, 0.05]\n  batch_size: [8, 16, 32]\nnoise_scale: {{every: 5, small: 2}}\nstopping:\n  max_epochs: 4\nout: {results}\n"

    let out = tmp.File "report"
    let summary = summaryOf results out []
    StringAssert.Contains("### critical batch size", summary)
    Assert.That(summary, Does.Match "S_min = [0-9]+ steps, E_min = [0-9]+ examples, B_crit = E_min/S_min = [0-9]+")

    Assert.That(
        summary,
        Does.Match "Gradient noise scale at the training loss where the target is reached: B_simple = [0-9.]+ at training loss [0-9.]+ \\([0-9]+ trials"
    )
    // two learning rates per batch size, each row's best at an edge: the premise fails and is named
    StringAssert.Contains("No verdict on where larger batches stop paying: at 3 batch size(s) the best learning rate is at the grid's edge", summary)
    Assert.That(Regex.Matches(summary, "Verdict:").Count, Is.EqualTo 0)
    let figures = Directory.GetFiles(Path.Combine(out, "figures"), "*.svg") |> Array.map Path.GetFileName
    Assert.That(figures |> Array.exists (fun f -> f.EndsWith "-noise.svg"), Is.True, String.concat ", " figures)
    Assert.That(figures |> Array.exists (fun f -> f.EndsWith "-critical.svg"), Is.True, String.concat ", " figures)
    // a target no batch size reaches: a note naming them, not a failure
    StringAssert.Contains("has no learning rate all of whose seeds reach it", summaryOf results (tmp.File "report2") [ "--target"; "0.9999" ])

[<Test>]
let ``no critical batch verdict from learning rates set by a rule instead of tuned per batch size`` () =
    let trials =
        [ for b in [ 8; 16; 32 ] -> Lrbs.Host.Storage.Rows.TrialRow(BatchSize = b, Lr = 0.001 * float b, Status = "ok") ]

    let fails =
        Lrbs.Host.Report.CriticalBatchSection.FailedPremises(ResizeArray trials, Unchecked.defaultof<_>, Unchecked.defaultof<_>, Unchecked.defaultof<_>)

    StringAssert.Contains("the learning rate was not tuned per batch size", String.concat "; " fails)
    StringAssert.Contains("B_crit is not measured", String.concat "; " fails)

[<Test>]
let ``no critical batch verdict where B_crit's interval is open at an end`` () =
    let trials =
        ResizeArray
            [
                for b in [ 8; 16; 32 ] do
                    for lr in [ 0.01; 0.1 ] -> Lrbs.Host.Storage.Rows.TrialRow(BatchSize = b, Lr = lr, Status = "ok")
            ]

    let pareto: Lrbs.Core.Analysis.CriticalBatch.Pareto = { SMin = 100.0; BCrit = 20.0 }

    let premises (i: Lrbs.Core.Analysis.CriticalBatchInterval.Interval option) =
        let interval =
            match i with
            | Some i -> i
            | None -> Unchecked.defaultof<_>

        Lrbs.Host.Report.CriticalBatchSection.FailedPremises(trials, Unchecked.defaultof<_>, pareto, interval)
        |> String.concat "; "

    StringAssert.Contains("B_crit's interval is not bounded below by the data", premises (Some { Low = None; High = Some 30.0; OverSeeds = true }))
    StringAssert.Contains("B_crit's interval is not bounded above by the data", premises (Some { Low = Some 10.0; High = None; OverSeeds = true }))
    StringAssert.Contains("B_crit has no bootstrap interval", premises None)
    Assert.That(premises (Some { Low = Some 10.0; High = Some 30.0; OverSeeds = true }), Does.Not.Contain "B_crit")

[<Test>]
let ``a batch size that learned nothing is collapsed, listed with the failures, and left out of the target`` () =
    use tmp = new TempDir()
    let results = tmp.File "results"
    let common = "dataset: mnist\ntrain_limit: 600\nmodel: mlp-100-50\noptimizer: sgd\nstopping:\n  max_epochs: 3\n"
    sweep tmp "learns" $"name: learns\n{common}lr: 0.05\ngrid:\n  batch_size: [8, 16]\nout: {results}\n"
    // a learning rate of 1e-30 leaves the weights as they were: the test metric never moves
    sweep tmp "idle" $"name: idle\n{common}lr: 1.0e-30\nbatch_size: 32\nout: {results}\n"
    let summary = summaryOf results (tmp.File "report") []
    // it learned nothing: collapsed, named with the failures, and kept out of the steps
    StringAssert.Contains("## Failed, diverged and collapsed trials", summary)
    Assert.That(summary, Does.Match "\\| 32 \\| 1e-30 \\| 1 \\| collapsed \\| 3 \\| final test accuracy [0-9.]+ at the chance level")
    let target = Regex.Match(summary, "### steps to reach test accuracy ([0-9.]+)").Groups[1].Value |> float
    Assert.That(target, Is.GreaterThan 0.5, "the target comes from the batch sizes that learned")

[<Test>]
let ``a cell's epoch-N mean averages only the curves that reached epoch N and counts the others`` () =
    let trial id epochs =
        Lrbs.Host.Storage.Rows.TrialRow(Id = id, Status = (if epochs = 30 then "ok" else "stopped_early"), Epochs = epochs, MaxEpochs = 30)

    let epochRows id last loss =
        [
            for e in 1..last ->
                Lrbs.Host.Storage.Rows.EpochRow(
                    Id = id,
                    Epoch = e,
                    TrainLoss = System.Nullable(if e = 30 then loss else 9.0),
                    ValLoss = System.Nullable(loss + 0.1)
                )
        ]

    let cell =
        ResizeArray
            [
                trial "a" 30
                trial "b" 30
                trial "c" 12
                Lrbs.Host.Storage.Rows.TrialRow(Id = "d", Status = "diverged", Epochs = 3, MaxEpochs = 30)
            ]

    let epochs =
        (epochRows "a" 30 0.2 @ epochRows "b" 30 0.4 @ epochRows "c" 12 5.0 @ epochRows "d" 3 nan)
        |> fun rows -> System.Linq.Enumerable.ToLookup(rows, fun (e: Lrbs.Host.Storage.Rows.EpochRow) -> e.Id)

    Assert.That(
        Lrbs.Host.Report.EpochMeanSection.CellText(cell, epochs, 30),
        Is.EqualTo "0.3000 / 0.4000 (2 of 4 reached it, 1 stopped earlier, 1 diverged or failed)"
    )

    let none = ResizeArray [ trial "c" 12 ]
    Assert.That(Lrbs.Host.Report.EpochMeanSection.CellText(none, epochs, 30), Is.EqualTo "– (0 of 1 reached it, 1 stopped earlier)")

[<Test>]
let ``a grid whose trials stopped early gets the losses at its last planned epoch over the curves that reached it`` () =
    use tmp = new TempDir()
    let results = tmp.File "results"
    // min_delta 10 on the validation loss: no epoch improves, so every trial stops after its patience
    sweep
        tmp
        "es"
        $"name: es\ndataset: mnist\ntrain_limit: 400\nsplit: 80/10/10\nmodel: mlp-100-50\noptimizer: sgd\ngrid:\n  lr: [0.01, 0.1]\n  batch_size: [16, 32]\nstopping:\n  max_epochs: 4\n  early_stopping: {{patience: 1, min_delta: 10}}\nout: {results}\n"

    let summary = summaryOf results (tmp.File "report") []
    StringAssert.Contains("training loss / validation loss at epoch 4, mean over the curves that reached it", summary)
    StringAssert.Contains("– (0 of 1 reached it, 1 stopped earlier)", summary)

    StringAssert.Contains(
        "or after 1 epochs in which the validation loss did not improve on its best by more than 10 (Keras EarlyStopping, monitor val_loss)",
        summary
    )

[<Test>]
let ``a group of one cell gets its seeds' mean, spread and epochs in a table instead of no grid`` () =
    let results = Path.Combine(Lrbs.Core.Data.Registry.repositoryRoot (), "results", "s1-adam-epsilon")
    use tmp = new TempDir()
    let summary = summaryOf results (tmp.File "report") []
    StringAssert.Contains("one learning rate, 0.01, at every batch size.", summary)

    let expected =
        Lrbs.Host.Storage.ResultsReader.Query(
            results,
            "SELECT optimizer, printf('%.4f', avg(test_metric)), string_agg(epochs::VARCHAR, ', ' ORDER BY seed) FROM trials GROUP BY 1"
        )

    Assert.That(expected.Rows.Count, Is.EqualTo 3)

    for row in expected.Rows do
        let section = summary.Substring(summary.IndexOf("/ " + row[0] + " /"))
        let line = section.Split('\n') |> Array.find (fun l -> l.StartsWith "| 4 | 0.01 |")
        Assert.That(line, Does.StartWith $"| 4 | 0.01 | {row[1]} ± ", row[0])
        Assert.That(line.TrimEnd(), Does.EndWith $"| {row[2]} |", row[0])

/// Branched sweeps end to end through the built host: the reference runs, their branches from the
/// saved states, the report's CBS(t) and its Parquet table, bad branch sections (exit 2 naming the
/// key, nothing written), and shards with a kill committing exactly what one runner commits.
module Lrbs.Tests.BranchSweepTests

open System
open System.Diagnostics
open System.IO
open NUnit.Framework
open Lrbs.Tests.Support
open Lrbs.Tests.SweepTests
open Lrbs.Host.Sweeps
open Lrbs.Host.Storage

/// 640 MNIST rows, SGD at batch 16 for 3 epochs, 2 repeats; branches at 4 points, 4 batch sizes.
let private branchedYaml (out: string) (branch: string) =
    $"""name: b
dataset: mnist
model: mlp-100-50
train_limit: 640
optimizer: sgd
lr: 0.05
batch_size: 16
stopping: {{max_epochs: 3}}
noise_scale: {{every: 5, small: 4}}
repeats: 2
out: {out}
branch:
{branch}
"""

let private goodBranch =
    """  at: [0.1, 0.5, 1, 2]
  batch_sizes: [16, 32, 64, 128]
  window: 1
  lr: {rule: sqrt}"""

let private run (env: (string * string) list) (args: string list) =
    let p = startHostWith env args
    let err = p.StandardError.ReadToEndAsync()
    let out = p.StandardOutput.ReadToEnd()
    p.WaitForExit()
    p.ExitCode, out, err.Result

let private scalar (out: string) (sql: string) = (ResultsReader.Query(out, sql)).Rows[0][0]

[<Test>]
let ``a branched sweep runs its reference runs, then every branch from their saved states, and the report measures CBS(t)`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp (branchedYaml out goodBranch)
    let plan = SweepFile.Load f
    Assert.That(plan.Trials.Count, Is.EqualTo(2 + 2 * 4 * 4))
    let code, o, e = run [] [ "sweep"; "run"; f; "--workers"; "2" ]
    Assert.That(code, Is.EqualTo 0, o + e)
    StringAssert.Contains("branches: 32 of 32 to run have their start saved", o)
    assertEq (planIds f) (committed out)
    Assert.That(scalar out "SELECT count(*) FROM trials WHERE branch_reference IS NULL", Is.EqualTo "2")
    // every branch names a committed reference run, and its window's examples
    Assert.That(
        scalar
            out
            "SELECT count(*) FROM trials b JOIN trials r ON b.branch_reference = r.trial_id WHERE r.branch_reference IS NULL AND b.stop_reason = 'WindowEnd'",
        Is.EqualTo "32"
    )
    // a window of 640 rows at batch B: 640 / B steps, one more where it crosses an epoch's short last batch
    Assert.That(
        scalar out "SELECT count(*) FROM trials WHERE branch_reference IS NOT NULL AND steps NOT IN (ceil(640.0 / batch_size), ceil(640.0 / batch_size) + 1)",
        Is.EqualTo "0"
    )
    // the branch at the reference batch size from the end of epoch 1 ends where epoch 2 does: the same test loss, to the bit
    let same =
        "SELECT count(*) FROM trials b JOIN epochs r ON r.trial_id = b.branch_reference AND r.epoch = 2 "
        + "WHERE b.branch_at = 1 AND b.batch_size = 16 AND b.test_loss = r.test_loss"

    Assert.That(scalar out same, Is.EqualTo "2", "one per repeat")
    // each branch carries its reference run's B_simple at its point: at an epoch's end, the epoch row's own
    Assert.That(scalar out "SELECT count(*) FROM trials WHERE branch_reference IS NOT NULL AND branch_b_simple IS NULL", Is.EqualTo "0")

    let atEpoch =
        "SELECT count(*) FROM trials b JOIN epochs r ON r.trial_id = b.branch_reference AND r.epoch = b.branch_at "
        + "WHERE b.branch_at IN (1, 2) AND b.branch_b_simple = r.gns_b_simple"

    Assert.That(scalar out atEpoch, Is.EqualTo "16", "2 points x 4 batch sizes x 2 repeats")
    Assert.That(Directory.EnumerateFiles(BranchStates.DirIn out) |> Seq.length, Is.EqualTo 0, "the used states are gone")
    let code, o, e = run [] [ "report"; out ]
    Assert.That(code, Is.EqualTo 0, o + e)
    let md = File.ReadAllText(Path.Combine(out, "report", "summary.md"))
    StringAssert.Contains("critical batch size over training (branched)", md)
    Assert.That(md, Does.Not.Contain("scaling-rule arms"), "branches are not arms of a scaling rule")
    use db = new Sql()
    let table = Path.Combine(out, "report", "critical_batch.parquet")

    let rows =
        db.Query($"SELECT at_epochs, cbs, cbs_lower, is_bound, repeats FROM read_parquet('{table}') ORDER BY at_epochs").Rows

    assertEq [ 0.1; 0.5; 1.0; 2.0 ] [ for r in rows -> float r[0] ]

    for r in rows do
        Assert.That(float r[1], Is.InRange(16.0, 128.0))
        Assert.That(int r[2], Is.AnyOf(16, 32, 64, 128))
        Assert.That(r[4], Is.EqualTo "2")

[<TestCase("  at: [0.5, 3]\n  batch_sizes: [16, 32]\n  window: 1\n  lr: {rule: sqrt}", "branch_at")>]
[<TestCase("  at: [0.5]\n  batch_sizes: [16, 32]\n  window: 0\n  lr: {rule: sqrt}", "branch.window")>]
[<TestCase("  at: [0.5]\n  batch_sizes: [16, 32]\n  window: 4\n  lr: {rule: sqrt}", "branch_window")>]
[<TestCase("  at: [0.5]\n  batch_sizes: [16, 32]\n  window: 1\n  lr: {rule: sqrt}\n  tolerance: 0", "branch.tolerance")>]
[<TestCase("  at: [0.5]\n  batch_sizes: [32, 64]\n  window: 1\n  lr: {rule: sqrt}", "branch.batch_sizes")>]
[<TestCase("  at: [0.5]\n  batch_sizes: [16, 1024]\n  window: 1\n  lr: {rule: sqrt}", "batch_size")>]
[<TestCase("  at: [0.5]\n  batch_sizes: [16, 32]\n  window: 1\n  lr: {rule: adam-sqrt-sde}", "scaling")>]
[<TestCase("  at: [0.5]\n  batch_sizes: [16, 32]\n  window: 1", "missing key 'lr'")>]
[<TestCase("  at: [0.5]\n  batch_sizes: [16, 32]\n  window: 1\n  lr: {rule: sqrt}\n  windw: 2", "branch.windw")>]
let ``a bad branch section exits 2 naming the key, and nothing is written`` (branch: string, key: string) =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp (branchedYaml out branch)
    let code, o, e = run [] [ "sweep"; "run"; f ]
    Assert.That(code, Is.EqualTo 2, o + e)
    StringAssert.Contains(key, e)
    Assert.That(Directory.Exists out, Is.False, "nothing written")

[<Test>]
let ``lrbs train refuses a branch, which only a sweep's reference run can start, exit 2 naming it`` () =
    let code, o, e =
        run
            []
            [
                "train"
                "--dataset"
                "mnist"
                "--train-limit"
                "640"
                "--branch-at"
                "1"
                "--branch-batch"
                "16"
                "--branch-window"
                "1"
                "--epochs"
                "2"
            ]

    Assert.That(code, Is.EqualTo 2, o + e)
    StringAssert.Contains("--branch-at", e)
    StringAssert.Contains("use a sweep file with a branch section", e)

[<Test>]
let ``a grid over a key the branch section sets exits 2 naming it`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp (branchedYaml out goodBranch + "grid:\n  scaling: [linear, sqrt]\n")
    let code, o, e = run [] [ "sweep"; "run"; f ]
    Assert.That(code, Is.EqualTo 2, o + e)
    StringAssert.Contains("grid.scaling", e)
    StringAssert.Contains("the branch section sets scaling", e)

[<Test>]
let ``three shards with a kill in between commit exactly the trials one runner commits, to the bit`` () =
    use tmp = new TempDir()
    let one = Path.Combine(tmp.Path, "one")
    let sharded = Path.Combine(tmp.Path, "sharded")
    let single = writeSweep tmp (branchedYaml one goodBranch)
    let code, o, e = run [] [ "sweep"; "run"; single; "--workers"; "1" ]
    Assert.That(code, Is.EqualTo 0, o + e)
    let f = tmp.File "sharded.yaml"
    File.WriteAllText(f, branchedYaml sharded goodBranch)
    let shard k = startHostWith [] [ "sweep"; "run"; f; "--shard"; $"{k}/3"; "--workers"; "1" ]
    let victim = shard 0
    let others = [ shard 1; shard 2 ]
    // kill -9 the first shard once the sweep has committed something
    let clock = Stopwatch.StartNew()

    while (committed sharded).IsEmpty && clock.Elapsed.TotalSeconds < 60.0 do
        Threading.Thread.Sleep 20

    victim.Kill true
    victim.WaitForExit()

    for p in others do
        p.StandardOutput.ReadToEnd() |> ignore
        p.WaitForExit()
        Assert.That(p.ExitCode, Is.EqualTo 0, p.StandardError.ReadToEnd())

    let code, o, e = run [] [ "sweep"; "run"; f; "--shard"; "0/3"; "--workers"; "1" ]
    Assert.That(code, Is.EqualTo 0, o + e)
    assertEq (committed one) (committed sharded)

    let losses folder =
        [
            for r in (ResultsReader.Query(folder, "SELECT trial_id, test_loss, steps FROM trials ORDER BY trial_id")).Rows -> List.ofSeq r
        ]

    assertEq (losses one) (losses sharded)

[<Test>]
let ``sweep plan lists the reference runs, then each branch with its point and its reference`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp (branchedYaml out goodBranch)
    let code, o, e = run [] [ "sweep"; "plan"; f ]
    Assert.That(code, Is.EqualTo 0, o + e)
    StringAssert.Contains("a branched study: 2 reference runs first, then 32 branches", o)
    StringAssert.Contains("reference", o)
    StringAssert.Contains("t = 0.5 from #0", o)
    StringAssert.Contains("t = 2 from #1", o)

[<Test>]
let ``branches of one point and batch size pack across repeats, close to the same branches alone`` () =
    use tmp = new TempDir()
    let alone = Path.Combine(tmp.Path, "alone")
    let packed = Path.Combine(tmp.Path, "packed")
    let fa = writeSweep tmp (branchedYaml alone goodBranch)
    let fp = tmp.File "packed.yaml"
    File.WriteAllText(fp, branchedYaml packed goodBranch)

    // one worker: with two, the planner would split each pair of members to use both
    for f, extra in [ fa, [ "--workers"; "2" ]; fp, [ "--pack"; "--workers"; "1" ] ] do
        let code, o, e = run [] ([ "sweep"; "run"; f ] @ extra)
        Assert.That(code, Is.EqualTo 0, o + e)

    assertEq (committed alone) (committed packed)
    // the two repeats' branches of a point and batch size trained as members of one net
    Assert.That(scalar packed "SELECT min(pack_size) FROM trials WHERE branch_reference IS NOT NULL", Is.EqualTo "2")

    let pairs =
        ResultsReader.Query(
            packed,
            $"SELECT max(abs(p.test_loss - a.test_loss)) FROM trials p JOIN read_parquet('{alone}/trials/*.parquet') a USING (trial_id)"
        )

    Assert.That(float (pairs.Rows[0][0]), Is.LessThan 1e-4, "a pack's members are close to the same trials alone")

[<Test>]
let ``a grid's report takes a branched study's CBS at the end of training into its four-estimator table`` () =
    use tmp = new TempDir()
    let root = Lrbs.Core.Data.Registry.repositoryRoot ()
    let grid, branched = Path.Combine(root, "results", "s2-bracketed"), Path.Combine(root, "results", "cbs-fashion")
    let code, o, e = run [] [ "report"; grid; "--out"; tmp.File "report"; "--branches"; branched ]
    Assert.That(code, Is.EqualTo 0, o + e)

    let rows =
        File.ReadAllLines(tmp.File "report/summary.md")
        |> Array.filter (fun l -> l.StartsWith "| branched CBS (Merrill et al. 2025)")

    // the SGD and the Adam group of s2-bracketed each match a family of cbs-fashion
    Assert.That(rows, Has.Length.EqualTo 2)

    for r in rows do
        StringAssert.Contains("at t = 19 epochs of 3 reference run(s) at batch 16", r)
        Assert.That(r, Does.Not.Contain "not measured")

    for bad, expected in [ tmp.File "none", "folder not found"; grid, "no branched trials" ] do
        let code, o, e = run [] [ "report"; grid; "--out"; tmp.File "report2"; "--branches"; bad ]
        Assert.That(code, Is.EqualTo 2, o + e)
        StringAssert.Contains("--branches", e)
        StringAssert.Contains(expected, e)

[<Test>]
let ``lrbs warmup prints the schedules the committed warm-up study runs, and says when CBS leaves nothing to warm up`` () =
    let root = Lrbs.Core.Data.Registry.repositoryRoot ()
    let code, o, e = run [] [ "warmup"; Path.Combine(root, "results", "cbs-fashion"); "--max-batch"; "1024" ]
    Assert.That(code, Is.EqualTo 0, o + e)
    let study = File.ReadAllText(Path.Combine(root, "examples", "cbs-fashion-warmup.yaml"))

    let printed = o.Split('\n') |> Array.filter (fun l -> l.StartsWith "schedule: ") |> Array.map (fun l -> l.Substring 10)

    Assert.That(printed, Has.Length.EqualTo 2, o)

    for s in printed do
        Assert.That(s, Does.StartWith "batch-points:")
        Assert.That(study, Does.Contain($"\"{s}\""), "the example runs exactly the printed schedule")

    let code, o, e = run [] [ "warmup"; Path.Combine(root, "results", "cbs-boxes"); "--max-batch"; "512" ]
    Assert.That(code, Is.EqualTo 0, o + e)
    StringAssert.Contains("no warm-up: CBS(t) never reaches a grid batch size above 16", o)

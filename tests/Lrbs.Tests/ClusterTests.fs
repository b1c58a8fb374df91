/// A real one-node Slurm (Debian's slurm-wlm 22.05 and munge, started by tests/cluster/slurm-up.sh
/// on this machine): the shipped sbatch script as job arrays on one shared results folder.
module Lrbs.Tests.ClusterTests

open System
open System.Diagnostics
open System.IO
open System.Text.RegularExpressions
open NUnit.Framework
open Lrbs.Tests.Support

let private root = Lrbs.Core.Data.Registry.repositoryRoot ()

/// Runs a command with SLURM_CONF set; returns exit code and output.
let private shell (conf: string) (command: string) =
    let psi =
        ProcessStartInfo("bash", [| "-c"; command |], RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root)

    if conf <> "" then
        psi.Environment["SLURM_CONF"] <- conf

    use p = Process.Start psi
    let err = p.StandardError.ReadToEndAsync()
    let out = p.StandardOutput.ReadToEnd()
    p.WaitForExit()
    p.ExitCode, out + err.Result

let private must conf command =
    let code, text = shell conf command

    if code <> 0 then
        Assert.Fail $"`{command}` exited {code}: {text}"

    text.Trim()

/// Waits until no task of the job is pending or running (at most `seconds`).
let private waitJob conf (job: string) (seconds: int) =
    let clock = Stopwatch.StartNew()

    while (must conf $"squeue -h -j {job}") <> "" do
        if clock.Elapsed.TotalSeconds > float seconds then
            Assert.Fail $"job {job} still queued or running after {seconds} s"

        Threading.Thread.Sleep 1000

/// Each array task's state (COMPLETED, CANCELLED, FAILED, ...) by task id.
let private states conf (job: string) =
    let text = must conf $"scontrol show job {job}"

    Regex.Matches(text, @"ArrayTaskId=(\d+).*?JobState=(\w+)", RegexOptions.Singleline)
    |> Seq.map (fun m -> int m.Groups[1].Value, m.Groups[2].Value)
    |> Map.ofSeq

/// Trial ids a task's log says it finished.
let private finishedIn (log: string) =
    if File.Exists log then
        Regex.Matches(File.ReadAllText log, @"(?m)^([0-9a-f]{16}) (ok|stopped_early|diverged|failed)\b")
        |> Seq.map (fun m -> m.Groups[1].Value)
        |> List.ofSeq
    else
        []

let private sweep (out: string) (rows: int) (epochs: int) =
    $"""name: cluster
dataset: mnist
model: mlp-100-50
train_limit: {rows}
grid:
  optimizer: [sgd, adam]
  lr: [0.001, 0.01, 0.1]
  batch_size: [16, 64]
stopping:
  max_epochs: {epochs}
out: {out}
"""

[<Test>]
let ``a real one-node Slurm runs the sbatch array on one folder: the plan once, no task failed, and a cancelled task resubmitted loses nothing`` () =
    use tmp = new TempDir()
    let dir = tmp.File "slurm"
    let up, text = shell "" $"tests/cluster/slurm-up.sh '{dir}'"

    if up <> 0 then
        Assert.Fail $"the one-node Slurm cluster did not start (tests/cluster/slurm-up.sh exited {up}):\n{text}"

    let conf = Path.Combine(dir, "slurm.conf")

    try
        let submit (env: string) (array: string) (file: string) (out: string) =
            must conf $"{env} sbatch --parsable --array={array} --mem=1G --output='{dir}/lrbs-%%A_%%a.log' examples/slurm/sweep.sbatch '{file}' '{out}'"

        let logs job tasks = [ for t in tasks -> Path.Combine(dir, $"lrbs-{job}_{t}.log") ]
        // several arrays of 4 starting at once, each on a fresh folder
        for attempt in 1..3 do
            let out = tmp.File $"out{attempt}"
            let file = tmp.File $"sweep{attempt}.yaml"
            File.WriteAllText(file, sweep out 600 1)
            let plan = SweepTests.planIds file
            let job = submit "" "0-3" file out
            waitJob conf job 300
            let st = states conf job
            Assert.That(st.Count, Is.EqualTo 4, $"attempt {attempt}: every task known to Slurm")

            for KeyValue(t, s) in st do
                Assert.That(
                    s,
                    Is.EqualTo "COMPLETED",
                    $"attempt {attempt}, task {t}: {s}\n"
                    + String.Join("\n", logs job [ t ] |> List.filter File.Exists |> List.map File.ReadAllText)
                )

            let trained = logs job [ 0..3 ] |> List.collect finishedIn
            Assert.That(trained |> List.countBy id |> List.filter (fun (_, n) -> n > 1), Is.Empty, "no trial trained twice")
            assertEq plan (Set.ofList trained)
            assertEq plan (SweepTests.committed out)
        // cancel one task in the middle of a trial, resubmit it alone
        let out = tmp.File "cancelled"
        let file = tmp.File "sweep-cancel.yaml"
        File.WriteAllText(file, sweep out 6000 6)
        let plan = SweepTests.planIds file
        let job = submit "" "0-3" file out
        let log1 = (logs job [ 1 ]).Head
        let clock = Stopwatch.StartNew()

        while not (File.Exists log1 && Regex.IsMatch(File.ReadAllText log1, @"epoch [1-9] loss")) do
            if clock.Elapsed.TotalSeconds > 120.0 then
                Assert.Fail "task 1 never started a trial"

            Threading.Thread.Sleep 200

        must conf $"scancel {job}_1" |> ignore
        waitJob conf job 600
        let st = states conf job
        Assert.That(st[1], Is.EqualTo "CANCELLED", "task 1 was cancelled")

        for t in [ 0; 2; 3 ] do
            Assert.That(st[t], Is.EqualTo "COMPLETED", $"task {t}")

        let before = SweepTests.committed out
        Assert.That(before.Count, Is.LessThan plan.Count, "the cancelled task left trials to run")
        let again = submit "LRBS_SHARDS=4" "1" file out
        waitJob conf again 600
        Assert.That((states conf again)[1], Is.EqualTo "COMPLETED", File.ReadAllText((logs again [ 1 ]).Head))
        let trained = (logs job [ 0..3 ] @ logs again [ 1 ]) |> List.collect finishedIn
        Assert.That(trained |> List.countBy id |> List.filter (fun (_, n) -> n > 1), Is.Empty, "no trial trained twice")
        assertEq plan (SweepTests.committed out)
        let rows = Lrbs.Host.Storage.ResultsReader.Query(out, "SELECT count(*), count(DISTINCT trial_id) FROM trials")
        Assert.That(rows.Rows[0][0], Is.EqualTo(string plan.Count))
    finally
        shell "" $"tests/cluster/slurm-down.sh '{dir}'" |> ignore

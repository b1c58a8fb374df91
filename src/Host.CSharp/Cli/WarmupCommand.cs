using Lrbs.Host.Report;

namespace Lrbs.Host.Cli;

/// <summary>`lrbs warmup DIR --max-batch N`: a batch-size warm-up schedule from a branched study's
/// CBS(t) (BatchWarmup.schedule), per reference family, with the grids that compare it against
/// the constant reference batch size and the constant maximum.</summary>
public static class WarmupCommand
{
    public static Command Build(TextWriter output, TextWriter error)
    {
        var dir = new Argument<string>("DIR") { Description = "A branched study's results folder (a sweep with a branch section)." };
        var maxBatch = new Option<int>("--max-batch") { Description = "The largest batch size the warm-up may reach (required).", Required = true };
        var epochs = new Option<int?>("--epochs") { Description = "The run's epochs (default: the reference runs' max_epochs)." };
        var cmd = new Command("warmup", "Turn a branched study's critical batch size over training, CBS(t), into a batch-size warm-up: each epoch at the largest branch batch size " +
            "not above CBS at its start (capped by --max-batch), the learning rate by the branches' rule; prints the schedule and the grids that compare it with the constant " +
            "reference batch size and the constant maximum (Merrill et al. 2025, §4).")
        {
            dir, maxBatch, epochs,
        };
        cmd.SetAction(parse =>
        {
            var folder = parse.GetValue(dir)!;
            var max = parse.GetValue(maxBatch);
            if (max < 1) throw new ReportException($"--max-batch: expected an integer >= 1, got {max}");
            var data = ReportData.Load(folder);
            var families = BranchSection.Families(data);
            if (families.Count == 0) throw new ReportException($"{folder}: no branched trials (a sweep with a branch section writes them)");
            foreach (var f in families)
            {
                output.WriteLine($"# {f.Label}");
                if (f.Problem is not null) { output.WriteLine($"# no CBS(t): {f.Problem}"); continue; }
                var branches = data.Trials.Where(t => t.BranchReference is not null && data.Trials.Any(r => r.Id == t.BranchReference && r.Group == f.Reference.Group)
                    && t.Lr == f.Reference.Lr && t.BranchBatch == f.Reference.BatchSize).ToList();
                var grid = branches.Select(t => t.BatchSize).Distinct().Order().ToList();
                var ruleName = branches.Select(t => Branches.RuleOf(t.Scaling ?? "")).Distinct().Single();
                var run = parse.GetValue(epochs) ?? f.Reference.MaxEpochs;
                string text;
                try { text = Branches.Warmup(f.Points.Select(p => (p.At, p.Cbs.Estimate.Point)), grid, f.Reference.BatchSize, max, f.Reference.Lr, ruleName, run); }
                catch (ConfigException e) { output.WriteLine($"# no warm-up: {e.Errors[0].Message}"); continue; }
                var maxLr = Branches.Scaled(ruleName, f.Reference.BatchSize, f.Reference.Lr, max);
                output.WriteLine($"# CBS(t) from {f.Points.Count} branch points, rule {ruleName} from lr {Page.Lr(f.Reference.Lr)} at batch {f.Reference.BatchSize}, at most {max}, {run} epochs");
                output.WriteLine($"schedule: {text}");
                output.WriteLine("# the three arms, as grids of a sweep file with the reference runs' other keys:");
                output.WriteLine("grids:");
                output.WriteLine($"  - {{batch_size: [{f.Reference.BatchSize}], lr: [{f.Reference.Lr.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}], schedule: [constant]}}");
                output.WriteLine($"  - {{batch_size: [{max}], lr: [{maxLr.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}], schedule: [constant]}}");
                output.WriteLine($"  - {{batch_size: [{f.Reference.BatchSize}], lr: [{f.Reference.Lr.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}], schedule: [\"{text}\"]}}");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }
}

namespace Lrbs.Host.Report;

/// <summary>Builds the study report from a results folder alone: per dataset, model and
/// optimizer the grid, its heat map and the fitted scaling rule, learning curves, timings,
/// steps to a target, schedule regimes, box errors; a published-table comparison; failures.
/// Each section is a file of its own (`*Section.cs`); the numbers come from Lrbs.Core.Analysis.</summary>
public static class ReportBuilder
{
    /// <summary>The sections in their order; figures are numbered in the order they are added.</summary>
    public static Page Build(ReportData data, ReportOptions options)
    {
        var slice = Slice.Parse(options.Slice, data.Trials);
        var page = new Page();
        var figures = 0;
        string Name(string kind) => $"fig{++figures:D2}-{kind}";
        page.Heading(1, $"lrbs report: {data.Folder}");
        ProtocolSection.Write(page, data);
        InputsSection.Write(page, data);
        // groups in the sweep's plan order: a study's main series first
        // branches are measured by the branched section, not as grids, arms or pools of their own
        var own = data.Trials.Where(t => t.BranchReference is null).ToList();
        foreach (var group in own.GroupBy(t => t.Group).OrderBy(g => data.FirstPlanned(g)).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            page.Heading(2, group.Key);
            var trials = group.ToList();
            var schedules = trials.Select(t => t.Schedule).Distinct().ToList();
            if (schedules.Count > 1) RegimesSection.Write(page, data, trials, Name);
            foreach (var bySchedule in trials.GroupBy(t => t.Schedule))
            {
                var set = bySchedule.ToList();
                if (schedules.Count > 1) page.Heading(3, $"schedule {bySchedule.Key}");
                if (set.Select(t => (t.BatchSize, t.Lr)).Distinct().Count() < 2) CellSection.Write(page, set);
                else GridSection.Write(page, data, set, options, Name);
            }
            CurvesSection.Write(page, data, trials.Where(slice.Contains).ToList(), slice.Text, Name);
            TimingSection.Write(page, trials, Name);
            StepsSection.Write(page, data, trials, options.Target, Name, options.Branches);
            if (WarmupSection.HasWarmup(trials)) WarmupSection.Write(page, data, trials, options.Target);
            if (data.HasPredictions && trials[0].Metric == "iou") BoxErrorsSection.Write(page, data, trials, Name);
        }
        foreach (var family in own.GroupBy(t => (t.Dataset, t.Model, t.Optimizer, t.Schedule)).OrderBy(g => data.FirstPlanned(g)))
            if (ArmsSection.HasArms(family)) ArmsSection.Write(page, data, family.ToList(), options.Target, Name);
        foreach (var family in own.GroupBy(t => (t.Dataset, t.Model, t.Optimizer, t.Scaling, t.Schedule)).OrderBy(g => data.FirstPlanned(g)))
            if (DataScalingSection.HasPools(family)) DataScalingSection.Write(page, data, family.ToList());
        BranchSection.Write(page, data, Name);
        if (options.CompareTable is not null) Compare.Section(page, data, options.CompareTable, Name);
        FailuresSection.Write(page, data);
        return page;
    }
}

namespace Lrbs.Host.Storage;

/// <summary>One table of a results folder: its sub-folder (one Parquet part per trial, or per sweep
/// for the manifest), the row record that is its columns, what a row is, and the columns that
/// order its rows in an export (a key: no two rows share its values).</summary>
public sealed record ResultsTable(string Name, Type Row, string RowIs, string Key)
{
    public IReadOnlyList<Column> Columns => Rows.Columns.Of(Row);
}

/// <summary>The version of a results folder's layout and columns. Every row of every part names it
/// (the `schema` column) and every part written since lrbs-results/3 also carries it in the file's
/// key-value metadata (`lrbs.schema`), so a part with no rows is recognised too. Changing a table
/// (a column added, removed, renamed or retyped, a unit, a folder) makes a new version, with a
/// migration from the previous one in <see cref="Migrations.RowMigrations"/>: every part of a folder
/// has the same version, so every reader sees one schema per table.</summary>
public static class ResultsSchema
{
    public const string Prefix = "lrbs-results/";
    public const int Current = 6;
    public const string Version = "lrbs-results/6";
    /// <summary>The oldest version this lrbs migrates from.</summary>
    public const int Oldest = 2;
    /// <summary>The key of a part's key-value metadata that holds its schema version.</summary>
    public const string MetadataKey = "lrbs.schema";

    public static readonly ResultsTable Trials = new("trials", typeof(TrialRow), "one finished trial (the trial's commit point)", "trial_id");
    public static readonly ResultsTable Epochs = new("epochs", typeof(EpochRow), "one epoch of one trial", "trial_id, epoch");
    public static readonly ResultsTable Manifest = new("manifest", typeof(ManifestRow), "one planned trial of a sweep (one part per sweep)", "sweep, plan_index, trial_id");
    public static readonly ResultsTable ClassPredictions = new("class_predictions", typeof(ClassPredictionRow), "one test example of a trial with class targets (`predictions: true`)", "trial_id, row");
    public static readonly ResultsTable LabelPredictions = new("label_predictions", typeof(LabelPredictionRow), "one test example and attribute of a trial with attribute targets (`predictions: true`)", "trial_id, row, label");
    public static readonly ResultsTable BoxPredictions = new("box_predictions", typeof(BoxPredictionRow), "one test example of a trial with box targets (`predictions: true`)", "trial_id, row");

    /// <summary>Every table of a results folder, in the order docs/results.md lists them.</summary>
    public static readonly IReadOnlyList<ResultsTable> Tables = [Trials, Epochs, Manifest, ClassPredictions, LabelPredictions, BoxPredictions];

    /// <summary>The prediction tables, one per kind of target.</summary>
    public static readonly IReadOnlyList<ResultsTable> PredictionTables = [ClassPredictions, LabelPredictions, BoxPredictions];

    public static ResultsTable Table(string name) =>
        Tables.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"no results table '{name}'; tables: {string.Join(", ", Tables.Select(t => t.Name))}");

    public static string Name(int version) => Prefix + version;

    /// <summary>The number of a version text (lrbs-results/N), or null for anything else.</summary>
    public static int? Number(string? text) =>
        text is not null && text.StartsWith(Prefix, StringComparison.Ordinal) && int.TryParse(text.AsSpan(Prefix.Length), out var n) && n > 0 ? n : null;

    /// <summary>The error level of S7's follow-up: negligible &lt;= 0.1 &lt; low &lt;= 0.2 &lt; medium &lt;= 0.3 &lt; big.</summary>
    public static string ErrorLevel(double error) => error <= 0.1 ? "negligible" : error <= 0.2 ? "low" : error <= 0.3 ? "medium" : "big";
}

namespace Lrbs.Host.Storage.Migrations;

/// <summary>Between a row as column name -> value and the row record of its table, strictly: the
/// names must be exactly the record's columns (a missing or an extra one is an error naming it), a
/// null only where the column is nullable, every value of the column's type.</summary>
public static class RowMap
{
    public static object ToRecord(ResultsTable table, IReadOnlyDictionary<string, object?> row)
    {
        var columns = table.Columns;
        var extra = row.Keys.Except(columns.Select(c => c.Name)).ToList();
        if (extra.Count > 0) throw new MigrationException($"{table.Name} has no column {string.Join(", ", extra)}");
        var record = Activator.CreateInstance(table.Row)!;
        foreach (var c in columns)
        {
            if (!row.TryGetValue(c.Name, out var value)) throw new MigrationException($"{table.Name}.{c.Name} is missing");
            if (value is null)
            {
                if (!c.Nullable) throw new MigrationException($"{table.Name}.{c.Name} is null, but the column needs a value");
                c.Property.SetValue(record, null);
                continue;
            }
            c.Property.SetValue(record, Convert(table, c, value));
        }
        return record;
    }

    public static Dictionary<string, object?> ToRow(ResultsTable table, object record) =>
        table.Columns.ToDictionary(c => c.Name, c => c.Property.GetValue(record));

    static object Convert(ResultsTable table, Column c, object value)
    {
        if (c.Timestamp)
            return value is DateTime t ? Micros.Of(t)
                : throw new MigrationException($"{table.Name}.{c.Name}: {value} ({value.GetType().Name}) is not a time");
        if (value.GetType() == c.Type) return value;
        var integral = value is int or long or short or sbyte or byte or uint or ushort;
        var fits = c.Type == typeof(double) ? integral || value is float
            : c.Type == typeof(long) || c.Type == typeof(int) ? integral
            : false;
        if (!fits) throw new MigrationException($"{table.Name}.{c.Name}: {value} ({value.GetType().Name}) is not {c.ParquetType}");
        try { return System.Convert.ChangeType(value, c.Type, CultureInfo.InvariantCulture); }
        catch (OverflowException) { throw new MigrationException($"{table.Name}.{c.Name}: {value} does not fit {c.ParquetType}"); }
    }
}

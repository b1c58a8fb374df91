using System.Net;
using System.Text;

namespace Lrbs.Host.Report;

/// <summary>The report being written: HTML fragments with figure placeholders, the same content
/// as Markdown for summary.md, and the figures to render.</summary>
public sealed class Page
{
    readonly StringBuilder _html = new();
    readonly StringBuilder _markdown = new();
    readonly List<Figure> _figures = [];
    public IReadOnlyList<Figure> Figures => _figures;

    public static string F(double? v, string format = "0.0000") =>
        v is double d && double.IsFinite(d) ? d.ToString(format, CultureInfo.InvariantCulture) : "–";
    public static string Lr(double v) => v.ToString("G4", CultureInfo.InvariantCulture).Replace("E", "e");
    static string E(string s) => WebUtility.HtmlEncode(s);

    public void Heading(int level, string text)
    {
        _html.Append($"<h{level}>{E(text)}</h{level}>\n");
        _markdown.Append($"\n{new string('#', level)} {text}\n\n");
    }

    public void Paragraph(string text)
    {
        _html.Append($"<p>{E(text)}</p>\n");
        _markdown.Append(text).Append("\n\n");
    }

    /// <summary>A table; a cell starting with "**" is marked (the best of its row). A `text` table
    /// (sentences, not numbers) is aligned left.</summary>
    public void Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string? caption = null, bool text = false)
    {
        var list = rows.ToList();
        _html.Append(text ? "<table class=\"text\">" : "<table>");
        if (caption is not null) _html.Append($"<caption>{E(caption)}</caption>");
        _html.Append("<tr>").Append(string.Concat(header.Select(h => $"<th>{E(h)}</th>"))).Append("</tr>\n");
        foreach (var r in list)
            _html.Append("<tr>").Append(string.Concat(r.Select(c => c.StartsWith("**") ? $"<td class=\"best\">{E(c.Trim('*'))} ★</td>" : $"<td>{E(c)}</td>"))).Append("</tr>\n");
        _html.Append("</table>\n");
        if (caption is not null) _markdown.Append($"*{caption}*\n\n");
        _markdown.Append("| ").Append(string.Join(" | ", header)).Append(" |\n|").Append(string.Concat(header.Select(_ => "---|"))).Append('\n');
        foreach (var r in list) _markdown.Append("| ").Append(string.Join(" | ", r.Select(c => c.StartsWith("**") ? $"**{c.Trim('*')}** ★" : c))).Append(" |\n");
        _markdown.Append('\n');
    }

    public void Add(Figure figure)
    {
        _figures.Add(figure);
        _html.Append($"<figure>{{{{figure:{figure.Name}}}}}<figcaption>{E(figure.Caption)}</figcaption></figure>\n");
        _markdown.Append($"![{figure.Caption}](figures/{figure.Name}.svg)\n\n");
    }

    public string Markdown => _markdown.ToString();

    public string Html(string title, IReadOnlyDictionary<string, string> svgs)
    {
        var body = _html.ToString();
        foreach (var (name, svg) in svgs) body = body.Replace($"{{{{figure:{name}}}}}", svg);
        return $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{E(title)}}</title>
            <style>
            body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
            table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
            th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
            th { background: #f3f3f3; } td.best { font-weight: bold; background: #fff3c4; }
            table.text td { text-align: left; }
            caption { text-align: left; font-style: italic; padding: 4px 0; }
            figure { margin: 1em 0; } figcaption { font-size: 0.85em; color: #555; }
            h2 { border-bottom: 2px solid #ddd; margin-top: 2em; } h3 { margin-top: 1.5em; }
            </style></head><body>
            {{body}}
            </body></html>
            """;
    }
}

using EdgeCompress.Manifest;

namespace EdgeCompress.Reporting;

/// <summary>
/// How the charts label variants: by id when every id fits side by side across a chart, else by number (manifest
/// order, the same number on every chart) with a key, so ten or more variants never print over each other.
/// </summary>
public sealed class VariantKeys
{
    /// <summary>Characters of tick label that fit across one chart's width at the tick font (about 7 px each in 680 px).</summary>
    public const int CharactersAcross = 72;

    private readonly Dictionary<string, string> _labels;

    private VariantKeys(Dictionary<string, string> labels, bool numbered)
    {
        _labels = labels;
        Numbered = numbered;
    }

    /// <summary>True when the labels are numbers and <see cref="Key"/> says which is which.</summary>
    public bool Numbered { get; }

    /// <summary>Title of a variant axis: says when the numbers need the key.</summary>
    public string AxisTitle => Numbered ? "variant (number, see key)" : "variant";

    /// <summary>The labels for <paramref name="m"/>'s variants.</summary>
    public static VariantKeys For(OptimizeManifest m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var ids = m.Variants.Select(v => v.Id).Distinct(StringComparer.Ordinal).ToList();
        var numbered = ids.Count > 0 && ids.Count * ids.Max(id => id.Length) > CharactersAcross;
        var labels = ids.Select((id, i) => (id, label: numbered ? (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : id))
            .ToDictionary(p => p.id, p => p.label, StringComparer.Ordinal);
        return new VariantKeys(labels, numbered);
    }

    /// <summary>The label drawn for variant <paramref name="id"/>.</summary>
    public string Label(string id) => _labels.TryGetValue(id, out var label) ? label : id;

    /// <summary>Key lines for the variants shown, e.g. "3 = prune-0.5+int8"; empty when the labels are the ids.</summary>
    public IReadOnlyList<string> Key(IEnumerable<string> shownIds) =>
        Numbered ? shownIds.Select(id => $"{Label(id)} = {id}").ToList() : [];
}

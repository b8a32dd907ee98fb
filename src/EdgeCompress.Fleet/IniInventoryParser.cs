using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeCompress.Fleet;

/// <summary>
/// Ansible's INI inventory: hosts before any section are ungrouped; [group] lists hosts with key=value host vars;
/// [group:vars] sets group vars; [group:children] lists child groups; numeric ranges like pi[01:04] expand.
/// </summary>
internal static partial class IniInventoryParser
{
    public static Inventory Parse(string text, string source)
    {
        var inventory = new Inventory();
        inventory.Group("all");
        var section = "ungrouped";
        var kind = "hosts";
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line[0] == '[')
            {
                var header = SectionHeader().Match(line);
                if (!header.Success)
                {
                    throw new FleetException($"inventory {source} line {number}: '{line}' is not a section header like [group], [group:vars] or [group:children]");
                }

                section = header.Groups[1].Value;
                kind = header.Groups[2].Success ? header.Groups[2].Value : "hosts";
                inventory.Group(section);
                continue;
            }

            switch (kind)
            {
                case "vars":
                    var (key, value) = SplitAssignment(line, source, number);
                    inventory.Group(section).Vars[key] = value;
                    break;
                case "children":
                    inventory.Group(line);
                    inventory.Group(section).Children.Add(line);
                    break;
                default:
                    AddHosts(inventory.Group(section), line, source, number);
                    break;
            }
        }

        inventory.Group("all").Children.AddRange(inventory.Groups.Keys.Where(g => g != "all" && !inventory.Groups.Values.Any(x => x.Children.Contains(g))));
        return inventory;
    }

    private static void AddHosts(InventoryGroup group, string line, string source, int number)
    {
        var parts = Tokens().Matches(line).Select(m => m.Value).ToList();
        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in parts.Skip(1))
        {
            var (key, value) = SplitAssignment(part, source, number);
            vars[key] = value;
        }

        foreach (var host in Expand(parts[0], source, number))
        {
            group.Hosts[host] = new Dictionary<string, string>(vars, StringComparer.Ordinal);
        }
    }

    private static IEnumerable<string> Expand(string pattern, string source, int number)
    {
        var range = HostRange().Match(pattern);
        if (!range.Success)
        {
            return [pattern];
        }

        var (from, to) = (range.Groups[2].Value, range.Groups[3].Value);
        if (!int.TryParse(from, CultureInfo.InvariantCulture, out var first) || !int.TryParse(to, CultureInfo.InvariantCulture, out var last) || last < first || last - first > 10_000)
        {
            throw new FleetException($"inventory {source} line {number}: host range '{pattern}' must be numeric like pi[01:04]");
        }

        var width = from.Length;
        return Enumerable.Range(first, last - first + 1)
            .Select(i => range.Groups[1].Value + i.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0') + range.Groups[4].Value);
    }

    private static (string Key, string Value) SplitAssignment(string text, string source, int number)
    {
        var at = text.IndexOf('=', StringComparison.Ordinal);
        if (at <= 0)
        {
            throw new FleetException($"inventory {source} line {number}: '{text}' is not key=value");
        }

        return (text[..at].Trim(), text[(at + 1)..].Trim().Trim('"', '\''));
    }

    [GeneratedRegex(@"^\[([^\]:\s]+)(?::(vars|children))?\]$")]
    private static partial Regex SectionHeader();

    [GeneratedRegex("""(?:[^\s"']+|"[^"]*"|'[^']*')+""")]
    private static partial Regex Tokens();

    [GeneratedRegex(@"^(.*)\[(\d+):(\d+)\](.*)$")]
    private static partial Regex HostRange();
}

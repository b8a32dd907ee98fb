using System.Globalization;
using EdgeCompress.Protocol;

namespace EdgeCompress.Fleet;

/// <summary>One Ansible inventory group: its own hosts (with host vars), group vars and child groups.</summary>
public sealed class InventoryGroup
{
    /// <summary>Hosts listed directly in the group, with their host vars.</summary>
    public Dictionary<string, Dictionary<string, string>> Hosts { get; } = new(StringComparer.Ordinal);

    /// <summary>Group vars.</summary>
    public Dictionary<string, string> Vars { get; } = new(StringComparer.Ordinal);

    /// <summary>Names of child groups.</summary>
    public List<string> Children { get; } = [];
}

/// <summary>
/// An Ansible inventory (INI or YAML) reduced to what edgec needs: for each host, the daemon URL, token file and
/// groups. Vars are merged the way Ansible does for these simple cases: "all" first, then parent groups before
/// their children, then host vars. Recognised vars: edged_url, or ansible_host + edged_port (+ edged_scheme);
/// edged_token_file.
/// </summary>
public sealed class Inventory
{
    /// <summary>Groups by name; "all" and "ungrouped" are implicit as in Ansible.</summary>
    public Dictionary<string, InventoryGroup> Groups { get; } = new(StringComparer.Ordinal);

    /// <summary>The group called <paramref name="name"/>, created when new.</summary>
    public InventoryGroup Group(string name)
    {
        if (!Groups.TryGetValue(name, out var group))
        {
            group = new InventoryGroup();
            Groups[name] = group;
        }

        return group;
    }

    /// <summary>Parses an inventory file: YAML when the name ends in .yml/.yaml or the text looks like YAML, INI otherwise.</summary>
    public static Inventory Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FleetException($"inventory {path} cannot be read: {ex.Message}", ex);
        }

        var yaml = path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase)
            || text.TrimStart().StartsWith("---", StringComparison.Ordinal) || text.TrimStart().StartsWith("all:", StringComparison.Ordinal);
        var inventory = yaml ? YamlInventoryParser.Parse(text, path) : IniInventoryParser.Parse(text, path);
        if (inventory.HostNames().Count == 0)
        {
            throw new FleetException($"inventory {path} lists no hosts");
        }

        return inventory;
    }

    /// <summary>Every host name, in first-seen order.</summary>
    public IReadOnlyList<string> HostNames() => Groups.Values.SelectMany(g => g.Hosts.Keys).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The registry entries for every host of the inventory file <paramref name="source"/>. <paramref name="defaultTokenFile"/>
    /// applies where no edged_token_file is set.</summary>
    public IReadOnlyList<DeviceEntry> ToDevices(string source, string? defaultTokenFile)
    {
        var devices = new List<DeviceEntry>();
        foreach (var host in HostNames())
        {
            var chain = GroupsOf(host);
            var vars = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var group in chain)
            {
                Merge(vars, Groups[group].Vars);
            }

            foreach (var group in chain)
            {
                if (Groups[group].Hosts.TryGetValue(host, out var hostVars))
                {
                    Merge(vars, hostVars);
                }
            }

            if (!DeviceEntry.IsValidName(host))
            {
                throw new FleetException($"inventory {source}: host '{host}' cannot be a device name (letters, digits, '.', '-', '_'; not 'local')");
            }

            var url = vars.TryGetValue("edged_url", out var explicitUrl) ? explicitUrl
                : string.Create(CultureInfo.InvariantCulture, $"{vars.GetValueOrDefault("edged_scheme", "https")}://{vars.GetValueOrDefault("ansible_host", host)}:{vars.GetValueOrDefault("edged_port", ApiContract.DefaultPort.ToString(CultureInfo.InvariantCulture))}");
            var token = vars.GetValueOrDefault("edged_token_file") ?? defaultTokenFile
                ?? throw new FleetException($"inventory {source}: host '{host}' has no edged_token_file var and no --token-file was given");
            string normalized;
            try
            {
                normalized = DeviceEntry.NormalizeUrl(url);
            }
            catch (FleetException ex)
            {
                throw new FleetException($"inventory {source}: host '{host}': {ex.Message}", ex);
            }

            devices.Add(new DeviceEntry
            {
                Name = host,
                Url = normalized,
                TokenFile = ExpandHome(token, Path.GetDirectoryName(Path.GetFullPath(source))!),
                Groups = chain.Where(g => g is not ("all" or "ungrouped")).ToList(),
                AddedUtc = DateTimeOffset.UtcNow,
            });
        }

        return devices;
    }

    /// <summary>Groups containing <paramref name="host"/> directly or through children, parents before children.</summary>
    private List<string> GroupsOf(string host)
    {
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        void Walk(string group, int level, HashSet<string> path)
        {
            if (!path.Add(group))
            {
                return;
            }

            depth[group] = Math.Max(depth.GetValueOrDefault(group, -1), level);
            foreach (var child in Groups.TryGetValue(group, out var g) ? g.Children : [])
            {
                Walk(child, level + 1, path);
            }

            path.Remove(group);
        }

        foreach (var root in Groups.Keys.Where(name => !Groups.Values.Any(g => g.Children.Contains(name))).ToList())
        {
            Walk(root, root == "all" ? 0 : 1, []);
        }

        bool Contains(string group, HashSet<string> seen) =>
            seen.Add(group) && Groups.TryGetValue(group, out var g) && (g.Hosts.ContainsKey(host) || g.Children.Any(c => Contains(c, seen)));

        return depth.Keys.Where(g => g == "all" || Contains(g, []))
            .OrderBy(g => depth[g]).ThenBy(g => g, StringComparer.Ordinal).ToList();
    }

    private static void Merge(Dictionary<string, string> into, Dictionary<string, string> from)
    {
        foreach (var (key, value) in from)
        {
            into[key] = value;
        }
    }

    // Relative token paths are taken relative to the inventory file, like Ansible's lookups next to the inventory.
    private static string ExpandHome(string path, string inventoryDirectory) =>
        path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..])
            : Path.GetFullPath(path, inventoryDirectory);
}

using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EdgeCompress.Fleet;

/// <summary>
/// Ansible's YAML inventory: nested groups, each a mapping with optional hosts (host name to vars or null), vars
/// and children. Read through YamlDotNet's representation model (no reflection-based object mapping).
/// </summary>
internal static class YamlInventoryParser
{
    public static Inventory Parse(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new FleetException($"inventory {source}: not valid YAML at line {ex.Start.Line}: {ex.Message}", ex);
        }

        var inventory = new Inventory();
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new FleetException($"inventory {source}: expected a mapping of groups at the top (e.g. all:)");
        }

        foreach (var (name, body) in root.Children)
        {
            ReadGroup(inventory, Scalar(name), body, source);
        }

        return inventory;
    }

    private static void ReadGroup(Inventory inventory, string name, YamlNode body, string source)
    {
        var group = inventory.Group(name);
        if (body is YamlScalarNode { Value: null or "" or "~" })
        {
            return;
        }

        if (body is not YamlMappingNode mapping)
        {
            throw new FleetException($"inventory {source}: group '{name}' (line {body.Start.Line}) must be a mapping with hosts, vars or children");
        }

        foreach (var (keyNode, value) in mapping.Children)
        {
            switch (Scalar(keyNode))
            {
                case "hosts":
                    foreach (var (host, vars) in Entries(value))
                    {
                        group.Hosts[host] = Vars(vars, $"host '{host}'", source);
                    }

                    break;
                case "vars":
                    foreach (var (key, item) in Vars(value, $"vars of group '{name}'", source))
                    {
                        group.Vars[key] = item;
                    }

                    break;
                case "children":
                    foreach (var (child, childBody) in Entries(value))
                    {
                        group.Children.Add(child);
                        ReadGroup(inventory, child, childBody, source);
                    }

                    break;
                default:
                    throw new FleetException($"inventory {source}: group '{name}' has '{Scalar(keyNode)}' at line {keyNode.Start.Line}; expected hosts, vars or children");
            }
        }
    }

    private static IEnumerable<(string Key, YamlNode Value)> Entries(YamlNode node) =>
        node is YamlMappingNode mapping ? mapping.Children.Select(c => (Scalar(c.Key), c.Value)) : [];

    private static Dictionary<string, string> Vars(YamlNode node, string what, string source)
    {
        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is YamlScalarNode { Value: null or "" or "~" })
        {
            return vars;
        }

        if (node is not YamlMappingNode mapping)
        {
            throw new FleetException($"inventory {source}: {what} at line {node.Start.Line} must be a mapping of key: value");
        }

        foreach (var (key, value) in mapping.Children)
        {
            vars[Scalar(key)] = value is YamlScalarNode scalar ? scalar.Value ?? "" : value.ToString();
        }

        return vars;
    }

    private static string Scalar(YamlNode node) => node is YamlScalarNode { Value: { } value } ? value : node.ToString();
}

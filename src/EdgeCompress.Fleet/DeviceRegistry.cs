using System.Text.Json;

namespace EdgeCompress.Fleet;

/// <summary>The registry file's content.</summary>
public sealed class DeviceRegistryFile
{
    /// <summary>Format version of the file.</summary>
    public int Version { get; set; } = 1;

    /// <summary>Registered devices, by name order.</summary>
    public List<DeviceEntry> Devices { get; set; } = [];
}

/// <summary>
/// The user's device registry (devices.json in the config folder): like SSH's known_hosts it remembers each
/// daemon's certificate fingerprint. Loaded whole, changed in memory, saved atomically.
/// </summary>
public sealed class DeviceRegistry
{
    private readonly DeviceRegistryFile _file;

    private DeviceRegistry(string path, DeviceRegistryFile file)
    {
        Path = path;
        _file = file;
    }

    /// <summary>The registry file.</summary>
    public string Path { get; }

    /// <summary>Registered devices, by name.</summary>
    public IReadOnlyList<DeviceEntry> Devices => _file.Devices;

    /// <summary>Loads the registry (an empty one when the file does not exist yet).</summary>
    public static DeviceRegistry Load(string path)
    {
        if (!File.Exists(path))
        {
            return new DeviceRegistry(path, new DeviceRegistryFile());
        }

        try
        {
            var file = JsonSerializer.Deserialize(File.ReadAllText(path), FleetJsonContext.Default.DeviceRegistryFile)
                ?? throw new FleetException($"device registry {path} is empty; delete it to start over");
            return new DeviceRegistry(path, file);
        }
        catch (JsonException ex)
        {
            throw new FleetException($"device registry {path} is not valid JSON ({ex.Message}); fix or delete it", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FleetException($"device registry {path} cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>Writes the registry atomically.</summary>
    public void Save()
    {
        _file.Devices.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        try
        {
            FleetPaths.WriteAtomically(Path, JsonSerializer.Serialize(_file, FleetJsonContext.Default.DeviceRegistryFile));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FleetException($"device registry {Path} cannot be written: {ex.Message}", ex);
        }
    }

    /// <summary>The device called <paramref name="name"/>, or null.</summary>
    public DeviceEntry? Find(string name) => _file.Devices.FirstOrDefault(d => d.Name == name);

    /// <summary>The device called <paramref name="name"/>, or a usage problem naming the known ones.</summary>
    public DeviceEntry Get(string name) => Find(name) ?? throw new FleetException(
        _file.Devices.Count == 0
            ? $"unknown device '{name}': no devices are registered (add one with `edgec devices add NAME URL --token-file F`)"
            : $"unknown device '{name}' (registered: {string.Join(", ", _file.Devices.Select(d => d.Name))})");

    /// <summary>Adds a device; a usage problem when the name is taken.</summary>
    public void Add(DeviceEntry device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (Find(device.Name) is not null)
        {
            throw new FleetException($"device '{device.Name}' is already registered (remove it first with `edgec devices remove {device.Name}`)");
        }

        _file.Devices.Add(device);
    }

    /// <summary>Removes a device; a usage problem when it is unknown.</summary>
    public void Remove(string name) => _file.Devices.Remove(Get(name));

    /// <summary>
    /// The devices a command targets: named ones (in the order given), every device (--all) or a group's members.
    /// Unknown names and empty groups are usage problems.
    /// </summary>
    public IReadOnlyList<DeviceEntry> Select(IReadOnlyList<string> names, bool all, IReadOnlyList<string> groups)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(groups);
        var chosen = new List<DeviceEntry>();
        if (all)
        {
            if (_file.Devices.Count == 0)
            {
                throw new FleetException("--all: no devices are registered (add one with `edgec devices add NAME URL --token-file F`)");
            }

            chosen.AddRange(_file.Devices);
        }

        chosen.AddRange(names.Select(Get));
        foreach (var group in groups)
        {
            var members = _file.Devices.Where(d => d.Groups.Contains(group, StringComparer.Ordinal)).ToList();
            if (members.Count == 0)
            {
                var known = _file.Devices.SelectMany(d => d.Groups).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                throw new FleetException($"unknown group '{group}'{(known.Count > 0 ? $" (groups: {string.Join(", ", known)})" : ": no device has a group")}");
            }

            chosen.AddRange(members);
        }

        return chosen.DistinctBy(d => d.Name).ToList();
    }
}

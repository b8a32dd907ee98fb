using System.Text.Json;

namespace EdgeCompress.Profiles;

/// <summary>
/// Finds, loads and validates device profiles from a folder of ID.json files: EDGEC_PROFILES if set, else the
/// nearest device-profiles/ folder above the program or the current directory, else /etc/edged/profiles.
/// </summary>
public sealed class ProfileStore
{
    /// <summary>Uses the given folder.</summary>
    public ProfileStore(string directory) => Directory = directory;

    /// <summary>The folder holding ID.json files.</summary>
    public string Directory { get; }

    /// <summary>The default store (see class remarks).</summary>
    public static ProfileStore Default() => new(FindDefaultDirectory());

    private static string FindDefaultDirectory()
    {
        if (Environment.GetEnvironmentVariable("EDGEC_PROFILES") is { Length: > 0 } env)
        {
            return env;
        }
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "device-profiles");
                if (System.IO.Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return "/etc/edged/profiles";
    }

    /// <summary>Ids of the profiles in the folder, sorted.</summary>
    public IReadOnlyList<string> Ids() =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.GetFiles(Directory, "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>()
                .Order(StringComparer.Ordinal).ToArray()
            : [];

    /// <summary>Loads a profile by id, or by path when <paramref name="idOrPath"/> names a .json file.</summary>
    /// <exception cref="ProfileException">Unknown id (the message lists the known ones) or an invalid file.</exception>
    public DeviceProfile Load(string idOrPath)
    {
        ArgumentNullException.ThrowIfNull(idOrPath);
        var path = idOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? idOrPath : Path.Combine(Directory, idOrPath + ".json");
        if (!File.Exists(path))
        {
            var known = Ids();
            throw new ProfileException(known.Count == 0
                ? $"unknown profile '{idOrPath}': no profiles found in {Directory}"
                : $"unknown profile '{idOrPath}'; known profiles: {string.Join(", ", known)}");
        }
        return LoadFile(path);
    }

    /// <summary>Loads and validates one profile file.</summary>
    public static DeviceProfile LoadFile(string path)
    {
        DeviceProfile? profile;
        try
        {
            using var stream = File.OpenRead(path);
            profile = JsonSerializer.Deserialize(stream, ProfileJsonContext.Default.DeviceProfile);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) ? "" : $" field '{e.Path.TrimStart('$', '.')}':";
            throw new ProfileException($"{path}:{field} {Describe(e)}", e);
        }
        catch (IOException e)
        {
            throw new ProfileException($"{path}: cannot read ({e.Message})", e);
        }
        if (profile is null)
        {
            throw new ProfileException($"{path}: empty profile");
        }
        var problems = ProfileValidator.Validate(profile, Path.GetFileNameWithoutExtension(path));
        if (problems.Count > 0)
        {
            throw new ProfileException($"{path}: {problems[0]}" + (problems.Count > 1 ? $" (and {problems.Count - 1} more problems)" : ""));
        }
        return profile;
    }

    private static string Describe(JsonException e)
    {
        var m = e.Message;
        if (m.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return "unknown field (check its spelling against device-profiles/README.md)";
        }
        if (m.Contains("could not be converted", StringComparison.Ordinal))
        {
            return "wrong type for this field (see device-profiles/README.md)";
        }
        var cut = m.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? m[..cut] : m;
    }
}

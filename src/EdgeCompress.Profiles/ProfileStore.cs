using System.Text.Json;

namespace EdgeCompress.Profiles;

/// <summary>
/// Finds, loads and validates device profiles: ID.json files in a list of folders searched in order, the first
/// folder holding ID.json winning (a user's rpi5.json shadows the shipped one; the others stay visible).
/// The default order (<see cref="DefaultDirectories"/>): EDGEC_PROFILES; the user's config folder
/// ($XDG_CONFIG_HOME/edgec/profiles, else ~/.config/edgec/profiles); the install's own device-profiles/ (beside the
/// program, or above it in a source checkout); the nearest device-profiles/ above the current directory;
/// /etc/edged/profiles. A .json path given instead of an id is loaded as is.
/// </summary>
public sealed class ProfileStore
{
    private readonly string[] _directories;

    /// <summary>Uses the given folders, searched in order.</summary>
    public ProfileStore(params string[] directories)
    {
        ArgumentNullException.ThrowIfNull(directories);
        ArgumentOutOfRangeException.ThrowIfZero(directories.Length);
        _directories = directories;
    }

    /// <summary>Every folder searched, in order.</summary>
    public IReadOnlyList<string> Directories => _directories;

    /// <summary>The default store for this process (see class remarks).</summary>
    public static ProfileStore Default() => FromEnvironment();

    /// <summary>The store an environment names (see class remarks): <paramref name="variables"/> reads a variable,
    /// <paramref name="installDirectory"/> is where the program lives and <paramref name="workingDirectory"/> where it
    /// runs (defaults: this process's).</summary>
    public static ProfileStore FromEnvironment(Func<string, string?>? variables = null, string? installDirectory = null, string? workingDirectory = null) =>
        new([.. DefaultDirectories(variables, installDirectory, workingDirectory)]);

    /// <summary>The default search order, folders that do not exist included (errors name them all).</summary>
    public static IEnumerable<string> DefaultDirectories(Func<string, string?>? variables = null, string? installDirectory = null, string? workingDirectory = null)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dir in Candidates(variables ?? Environment.GetEnvironmentVariable, installDirectory ?? AppContext.BaseDirectory, workingDirectory ?? Environment.CurrentDirectory))
        {
            if (!string.IsNullOrEmpty(dir) && seen.Add(Path.GetFullPath(dir)))
            {
                yield return Path.GetFullPath(dir);
            }
        }
    }

    private static IEnumerable<string?> Candidates(Func<string, string?> variables, string installDirectory, string workingDirectory)
    {
        yield return variables("EDGEC_PROFILES") is { Length: > 0 } env ? env : null;
        var config = variables("XDG_CONFIG_HOME") is { Length: > 0 } xdg
            ? xdg
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home ? Path.Combine(home, ".config") : null;
        yield return config is null ? null : Path.Combine(config, "edgec", "profiles");
        yield return NearestAbove(installDirectory);
        yield return NearestAbove(workingDirectory);
        yield return "/etc/edged/profiles";
    }

    private static string? NearestAbove(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "device-profiles");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>The file an id resolves to (the first folder that holds ID.json), or null.</summary>
    public string? PathOf(string id) => _directories.Select(d => Path.Combine(d, id + ".json")).FirstOrDefault(File.Exists);

    /// <summary>The recipe file a name resolves to (the first folder holding recipes/NAME.json), or null.</summary>
    public string? RecipePathOf(string name) =>
        _directories.Select(d => Path.Combine(d, "recipes", name + ".json")).FirstOrDefault(File.Exists);

    /// <summary>Names of the recipe files beside the profiles (recipes/NAME.json in every folder), sorted.</summary>
    public IReadOnlyList<string> RecipeNames() =>
        _directories.Select(d => Path.Combine(d, "recipes")).Where(System.IO.Directory.Exists)
            .SelectMany(d => System.IO.Directory.GetFiles(d, "*.json"))
            .Select(Path.GetFileName).OfType<string>()
            .Where(f => !f.EndsWith(".schema.json", StringComparison.Ordinal))
            .Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Ids of the profiles in all folders, sorted.</summary>
    public IReadOnlyList<string> Ids() =>
        _directories.Where(System.IO.Directory.Exists)
            .SelectMany(d => System.IO.Directory.GetFiles(d, "*.json"))
            .Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Loads a profile by id, or by path when <paramref name="idOrPath"/> names a .json file.</summary>
    /// <exception cref="ProfileException">Unknown id (the message lists the known ones) or an invalid file.</exception>
    public DeviceProfile Load(string idOrPath)
    {
        ArgumentNullException.ThrowIfNull(idOrPath);
        if (idOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return File.Exists(idOrPath) ? LoadFile(idOrPath) : throw new ProfileException($"profile file {idOrPath} does not exist");
        }
        if (PathOf(idOrPath) is not { } path)
        {
            var known = Ids();
            throw new ProfileException(known.Count == 0
                ? $"unknown profile '{idOrPath}': no profiles found in {string.Join(", ", _directories)}"
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

namespace EdgeCompress.Fleet;

/// <summary>
/// Where edgec keeps per-user state: the device registry in the config folder and the results database in the data
/// folder (XDG base directories). EDGEC_CONFIG_DIR and EDGEC_DATA_DIR override both, so tests and CI use temp dirs.
/// Made once per process from its environment (<see cref="FromEnvironment"/>) and handed to what needs it.
/// </summary>
/// <param name="ConfigDirectory">The config folder.</param>
/// <param name="DataDirectory">The data folder.</param>
public sealed record FleetPaths(string ConfigDirectory, string DataDirectory)
{
    /// <summary>The device registry file.</summary>
    public string RegistryFile => Path.Combine(ConfigDirectory, "devices.json");

    /// <summary>The benchmark results database (SQLite, one row per device run).</summary>
    public string ResultsFile => Path.Combine(DataDirectory, "bench-results.db");

    /// <summary>
    /// The folders an environment names: config is $EDGEC_CONFIG_DIR, else $XDG_CONFIG_HOME/edgecompress, else
    /// HOME/.config/edgecompress; data is $EDGEC_DATA_DIR, else $XDG_DATA_HOME/edgecompress, else
    /// HOME/.local/share/edgecompress. <paramref name="variables"/> reads a variable (default: this process's).
    /// </summary>
    public static FleetPaths FromEnvironment(Func<string, string?>? variables = null, string? home = null)
    {
        variables ??= Environment.GetEnvironmentVariable;
        home ??= Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return new FleetPaths(
            Resolve(variables, home, "EDGEC_CONFIG_DIR", "XDG_CONFIG_HOME", ".config"),
            Resolve(variables, home, "EDGEC_DATA_DIR", "XDG_DATA_HOME", Path.Combine(".local", "share")));
    }

    private static string Resolve(Func<string, string?> variables, string home, string overrideVariable, string xdgVariable, string homeFallback)
    {
        if (variables(overrideVariable) is { Length: > 0 } explicitDirectory)
        {
            return Path.GetFullPath(explicitDirectory);
        }

        if (variables(xdgVariable) is { Length: > 0 } xdg && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "edgecompress");
        }

        return Path.Combine(home, homeFallback, "edgecompress");
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> through a temp file and one rename, so a
    /// crash leaves the old file or the new one, never half of one.</summary>
    public static void WriteAtomically(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}

namespace EdgeCompress.Fleet;

/// <summary>
/// Where edgec keeps per-user state: the device registry in the config folder and the results database in the data
/// folder (XDG base directories). EDGEC_CONFIG_DIR and EDGEC_DATA_DIR override both, so tests and CI use temp dirs.
/// </summary>
public static class FleetPaths
{
    /// <summary>The config folder: $EDGEC_CONFIG_DIR, else $XDG_CONFIG_HOME/edgecompress, else ~/.config/edgecompress.</summary>
    public static string ConfigDirectory => Resolve("EDGEC_CONFIG_DIR", "XDG_CONFIG_HOME", ".config");

    /// <summary>The data folder: $EDGEC_DATA_DIR, else $XDG_DATA_HOME/edgecompress, else ~/.local/share/edgecompress.</summary>
    public static string DataDirectory => Resolve("EDGEC_DATA_DIR", "XDG_DATA_HOME", Path.Combine(".local", "share"));

    /// <summary>The device registry file.</summary>
    public static string RegistryFile => Path.Combine(ConfigDirectory, "devices.json");

    /// <summary>The benchmark results database (SQLite, one row per device run).</summary>
    public static string ResultsFile => Path.Combine(DataDirectory, "bench-results.db");

    private static string Resolve(string overrideVariable, string xdgVariable, string homeFallback)
    {
        if (Environment.GetEnvironmentVariable(overrideVariable) is { Length: > 0 } explicitDirectory)
        {
            return Path.GetFullPath(explicitDirectory);
        }

        if (Environment.GetEnvironmentVariable(xdgVariable) is { Length: > 0 } xdg && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "edgecompress");
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
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

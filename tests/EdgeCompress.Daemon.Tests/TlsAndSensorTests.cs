using System.Security.Cryptography;
using System.Text.Json;
using EdgeCompress.Protocol;

namespace EdgeCompress.Daemon.Tests;

public class TlsAndSensorTests
{
    [Fact]
    public async Task TLS_uses_a_generated_certificate_whose_fingerprint_device_reports_and_a_pinning_client_accepts()
    {
        string? seenFingerprint = null;
        using var edged = await EdgedProcess.StartAsync(urls: "https://127.0.0.1:0");
        try
        {
            using var handler = new HttpClientHandler
            {
                // Pin like the CLI does: trust exactly the certificate whose SHA-256 we were told, nothing else.
                ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                {
                    seenFingerprint = Convert.ToHexString(certificate!.GetCertHash(HashAlgorithmName.SHA256));
                    return true;
                },
            };
            using var client = edged.CreateClient(edged.Token, handler);

            var device = JsonSerializer.Deserialize(await client.GetStringAsync("/v1/device"), ProtocolJsonContext.Default.DeviceInfo)!;

            Assert.Equal("https", edged.BaseAddress.Scheme);
            Assert.NotNull(seenFingerprint);
            Assert.Equal(seenFingerprint, device.TlsFingerprintSha256!.Replace(":", "", StringComparison.Ordinal));
            Assert.Contains(device.TlsFingerprintSha256, edged.Output, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(edged.Store, "tls.pfx")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(edged.Store, "tls.pfx")));

            using var untrusting = edged.CreateClient(edged.Token);
            await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync("/v1/health"));
            Assert.Equal(0, edged.Stop());

            // Same certificate on the next start, so a pinned fingerprint stays valid.
            using var again = await EdgedProcess.StartAsync(edged.Store, urls: "https://127.0.0.1:0");
            Assert.Contains(device.TlsFingerprintSha256, again.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(edged.Store, recursive: true);
        }
    }

    [Fact]
    public async Task A_Jetson_power_monitor_gives_mean_power_and_energy_per_inference_from_the_same_run()
    {
        var root = Directory.CreateTempSubdirectory("edged-sysfs-").FullName;
        var hwmon = Path.Combine(root, "sys/bus/i2c/devices/1-0040/hwmon/hwmon1");
        Directory.CreateDirectory(hwmon);
        File.WriteAllText(Path.Combine(hwmon, "name"), "ina3221\n");
        File.WriteAllText(Path.Combine(hwmon, "in1_label"), "VDD_IN\n");
        File.WriteAllText(Path.Combine(hwmon, "in1_input"), "5000\n");  // 5 V
        File.WriteAllText(Path.Combine(hwmon, "curr1_input"), "1200\n"); // 1.2 A -> 6 W
        var thermal = Path.Combine(root, "sys/class/thermal/thermal_zone0");
        Directory.CreateDirectory(thermal);
        File.WriteAllText(Path.Combine(thermal, "type"), "cpu-thermal\n");
        File.WriteAllText(Path.Combine(thermal, "temp"), "47500\n");
        using var edged = await EdgedProcess.StartAsync(extra: ["--power-sensor", "auto", "--sensor-root", root]);
        try
        {
            await edged.PushAsync("powered", TestModels.Mlp(seed: 30));

            var status = await edged.BenchmarkAsync(new BenchmarkRequest { Model = "powered", DurationSeconds = 0.5, IdleSeconds = 0.3 });

            var power = status.Result!.Power;
            Assert.True(power.Available, power.Unavailable);
            Assert.Equal("jetson-ina3221:VDD_IN", power.SensorName);
            Assert.Equal("board input", power.Measures);
            Assert.Equal(6.0, power.MeanWatts!.Value, 6);
            Assert.Equal(6.0, power.IdleWatts!.Value, 6);
            Assert.Equal(6.0 * status.Result.MeasuredSeconds * 1000 / status.Result.Count, power.EnergyPerInferenceMillijoules!.Value, 3);
            Assert.InRange(power.SampleCount, 10, 80); // 100 Hz over 0.5 s, with slack for a loaded machine
            Assert.Equal(47.5, status.Result.Thermal.TemperatureBeforeCelsius);
            var device = JsonSerializer.Deserialize(await edged.Client.GetStringAsync("/v1/device"), ProtocolJsonContext.Default.DeviceInfo)!;
            Assert.Contains(device.Sensors, s => s is { Kind: "power", Measures: "board input" });
        }
        finally
        {
            Directory.Delete(edged.Store, recursive: true);
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task A_failing_power_sensor_does_not_fail_the_benchmark_and_the_result_says_why()
    {
        var root = Directory.CreateTempSubdirectory("edged-sysfs-").FullName;
        var iio = Path.Combine(root, "sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0");
        Directory.CreateDirectory(iio);
        File.WriteAllText(Path.Combine(iio, "rail_name_0"), "POM_5V_IN\n");
        File.WriteAllText(Path.Combine(iio, "in_power0_input"), "garbled\n");
        using var edged = await EdgedProcess.StartAsync(extra: ["--power-sensor", "jetson", "--sensor-root", root]);
        try
        {
            await edged.PushAsync("unpowered", TestModels.Mlp(seed: 31));

            var status = await edged.BenchmarkAsync(new BenchmarkRequest { Model = "unpowered", Iterations = 50, IdleSeconds = 0 });

            Assert.Equal(BenchmarkStates.Completed, status.Status);
            Assert.False(status.Result!.Power.Available);
            Assert.Contains("not a number", status.Result.Power.Unavailable, StringComparison.Ordinal);
            Assert.Equal(50, status.Result.Count);
        }
        finally
        {
            Directory.Delete(edged.Store, recursive: true);
            Directory.Delete(root, recursive: true);
        }
    }
}

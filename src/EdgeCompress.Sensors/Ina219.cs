using System.Buffers.Binary;
using System.Device.I2c;

namespace EdgeCompress.Sensors;

/// <summary>
/// TI INA219 current/power monitor over I2C, shaped like the dotnet/iot Iot.Device.Adc.Ina219 binding (that package
/// is not obtainable here): an injected <see cref="I2cDevice"/>, configuration properties, <see cref="Calibrate(double, double)"/>,
/// and Read* methods for live values, with units in the names.
/// </summary>
public sealed class Ina219 : IDisposable
{
    /// <summary>Default 7-bit address (A0 = A1 = GND).</summary>
    public const int DefaultI2cAddress = 0x40;

    private const ushort ResetBit = 0x8000;
    private const ushort ResetConfiguration = 0x399F;
    private const double CalibrationScale = 0.04096; // datasheet equation 1
    private const double ShuntVoltsPerBit = 10e-6;
    private const double BusVoltsPerBit = 4e-3;

    private readonly I2cDevice _device;
    private readonly bool _shouldDispose;
    private ushort _configuration = ResetConfiguration;
    private ushort _calibration;
    private double _currentLsbAmperes;

    /// <summary>Wraps <paramref name="device"/>; disposes it with this object when <paramref name="shouldDispose"/>.</summary>
    public Ina219(I2cDevice device, bool shouldDispose = true)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        _shouldDispose = shouldDispose;
    }

    /// <summary>Opens the chip on a bus (Linux /dev/i2c-N) and address.</summary>
    public Ina219(I2cConnectionSettings settings)
        : this(I2cDevice.Create(settings))
    {
    }

    /// <summary>The shunt resistance last calibrated for, ohms.</summary>
    public double ShuntOhms { get; private set; }

    /// <summary>Current per LSB of the current register after calibration, amperes.</summary>
    public double CurrentLsbAmperes => _currentLsbAmperes;

    /// <summary>Bus voltage range.</summary>
    public Ina219BusVoltageRange BusVoltageRange
    {
        get => (Ina219BusVoltageRange)(_configuration & 0x2000);
        set => WriteConfiguration((ushort)((_configuration & ~0x2000) | (ushort)value));
    }

    /// <summary>Shunt PGA range.</summary>
    public Ina219PgaSensitivity PgaSensitivity
    {
        get => (Ina219PgaSensitivity)(_configuration & 0x1800);
        set => WriteConfiguration((ushort)((_configuration & ~0x1800) | (ushort)value));
    }

    /// <summary>Bus ADC resolution or averaging.</summary>
    public Ina219AdcResolutionOrSamples BusAdcResolutionOrSamples
    {
        get => (Ina219AdcResolutionOrSamples)((_configuration >> 7) & 0xF);
        set => WriteConfiguration((ushort)((_configuration & ~0x0780) | ((ushort)value << 7)));
    }

    /// <summary>Shunt ADC resolution or averaging.</summary>
    public Ina219AdcResolutionOrSamples ShuntAdcResolutionOrSamples
    {
        get => (Ina219AdcResolutionOrSamples)((_configuration >> 3) & 0xF);
        set => WriteConfiguration((ushort)((_configuration & ~0x0078) | ((ushort)value << 3)));
    }

    /// <summary>Operating mode.</summary>
    public Ina219OperatingMode OperatingMode
    {
        get => (Ina219OperatingMode)(_configuration & 0x7);
        set => WriteConfiguration((ushort)((_configuration & ~0x7) | (ushort)value));
    }

    /// <summary>Resets the chip to its power-on configuration (0x399F) and forgets the calibration.</summary>
    public void Reset()
    {
        WriteRegister(Ina219Register.Configuration, ResetBit);
        _configuration = ReadRegister(Ina219Register.Configuration);
        _calibration = 0;
        _currentLsbAmperes = 0;
    }

    /// <summary>
    /// Calibrates for a shunt and the largest expected current: current LSB = max / 2^15 and
    /// Cal = trunc(0.04096 / (LSB × R)) as in the datasheet's programming section.
    /// </summary>
    public void Calibrate(double shuntOhms, double maxExpectedCurrentAmperes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shuntOhms);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExpectedCurrentAmperes);
        CalibrateWithCurrentLsb(shuntOhms, maxExpectedCurrentAmperes / 32768.0);
    }

    /// <summary>Calibrates with an explicit current LSB (amperes per bit), e.g. a round 20 µA.</summary>
    public void CalibrateWithCurrentLsb(double shuntOhms, double currentLsbAmperes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shuntOhms);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(currentLsbAmperes);
        var value = Math.Truncate(CalibrationScale / (currentLsbAmperes * shuntOhms));
        if (value is < 1 or > 0xFFFE)
        {
            throw new ArgumentOutOfRangeException(nameof(currentLsbAmperes), $"calibration value {value} is outside the register's range; choose another current LSB");
        }

        // Bit 0 of the register is not used (datasheet), so the written value is even.
        _calibration = (ushort)((ushort)value & 0xFFFE);
        _currentLsbAmperes = currentLsbAmperes;
        ShuntOhms = shuntOhms;
        WriteRegister(Ina219Register.Calibration, _calibration);
    }

    /// <summary>The calibration value last written.</summary>
    public ushort CalibrationValue => _calibration;

    /// <summary>Shunt voltage, volts (signed).</summary>
    public double ReadShuntVolts() => (short)ReadRegister(Ina219Register.ShuntVoltage) * ShuntVoltsPerBit;

    /// <summary>Bus voltage, volts.</summary>
    public double ReadBusVolts() => (ReadRegister(Ina219Register.BusVoltage) >> 3) * BusVoltsPerBit;

    /// <summary>Current through the shunt, amperes (signed). Requires a calibration.</summary>
    public double ReadCurrentAmperes()
    {
        EnsureCalibrated();
        return (short)ReadRegister(Ina219Register.Current) * _currentLsbAmperes;
    }

    /// <summary>Power on the bus side, watts. Requires a calibration.</summary>
    public double ReadPowerWatts()
    {
        EnsureCalibrated();
        return ReadRegister(Ina219Register.Power) * 20 * _currentLsbAmperes;
    }

    /// <summary>
    /// Reads power without throwing: fails when I/O fails, the math overflow flag is set, or the chip lost its
    /// calibration (e.g. after a brown-out reset), since any of these would otherwise read as a plausible 0 W.
    /// </summary>
    public bool TryReadPowerWatts(out double watts, out string? error)
    {
        watts = 0;
        try
        {
            if (_calibration == 0)
            {
                error = "INA219 is not calibrated";
                return false;
            }

            var bus = ReadRegister(Ina219Register.BusVoltage);
            if ((bus & 0x1) != 0)
            {
                error = "INA219 math overflow: current or power out of range for this calibration";
                return false;
            }

            if (ReadRegister(Ina219Register.Calibration) == 0)
            {
                error = "INA219 lost its calibration (chip reset)";
                return false;
            }

            watts = ReadRegister(Ina219Register.Power) * 20 * _currentLsbAmperes;
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or ArgumentException)
        {
            error = $"INA219 read failed: {ex.Message}";
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_shouldDispose)
        {
            _device.Dispose();
        }
    }

    private void EnsureCalibrated()
    {
        if (_calibration == 0)
        {
            throw new InvalidOperationException("INA219 current and power need Calibrate(...) first");
        }
    }

    private void WriteConfiguration(ushort value)
    {
        WriteRegister(Ina219Register.Configuration, value);
        _configuration = value;
    }

    private void WriteRegister(Ina219Register register, ushort value)
    {
        Span<byte> buffer = stackalloc byte[3];
        buffer[0] = (byte)register;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[1..], value);
        _device.Write(buffer);
    }

    private ushort ReadRegister(Ina219Register register)
    {
        Span<byte> pointer = [(byte)register];
        Span<byte> value = stackalloc byte[2];
        _device.WriteRead(pointer, value);
        return BinaryPrimitives.ReadUInt16BigEndian(value);
    }
}

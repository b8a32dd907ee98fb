using System.Buffers.Binary;
using System.Device.I2c;
using Binding = Iot.Device.Adc;

namespace EdgeCompress.Sensors;

/// <summary>
/// TI INA219 current/power monitor over I2C. Configuration, reset and calibration go through the dotnet/iot binding
/// (Iot.Device.Bindings' <see cref="Binding.Ina219"/>); the live readings are read from the registers here, through
/// the same <see cref="I2cDevice"/>, because the binding's Read* methods (4.2.0) cannot be used as they are:
/// <list type="bullet">
/// <item>they return UnitsNet quantities, whose converter is not trim-safe: edged's NativeAOT publish then gets
/// IL2075 (UnitsNet.UnitConverter.RegisterDefaultConversions) and grows from 16.4 MB to 22.8 MB, over its 20 MB budget;</item>
/// <item>ReadShuntVoltage and ReadCurrent read the two's-complement registers as unsigned, so -10 mV came back as
/// +645 mV and -0.1 A as +1.21 A (test Negative_shunt_voltage_reads_as_negative_current).</item>
/// </list>
/// This class also adds calibration from a shunt and a current budget with the datasheet's equation, and a power read
/// that refuses the two states that would otherwise read as a plausible 0 W (the math overflow flag, a chip that lost
/// its calibration in a brown-out reset).
/// </summary>
public sealed class Ina219 : IDisposable
{
    /// <summary>Default 7-bit address (A0 = A1 = GND).</summary>
    public const int DefaultI2cAddress = 0x40;

    private const double CalibrationScale = 0.04096; // datasheet equation 1
    private const double ShuntVoltsPerBit = 10e-6;
    private const double BusVoltsPerBit = 4e-3;

    private readonly I2cDevice _device;
    private readonly Binding.Ina219 _chip;
    private readonly bool _shouldDispose;
    private ushort _calibration;
    private double _currentLsbAmperes;

    /// <summary>Wraps <paramref name="device"/>; disposes it with this object when <paramref name="shouldDispose"/>.</summary>
    public Ina219(I2cDevice device, bool shouldDispose = true)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        _chip = new Binding.Ina219(device); // the binding never disposes a device it was given
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
        get => (Ina219BusVoltageRange)(ushort)_chip.BusVoltageRange;
        set => _chip.BusVoltageRange = (Binding.Ina219BusVoltageRange)(ushort)value;
    }

    /// <summary>Shunt PGA range.</summary>
    public Ina219PgaSensitivity PgaSensitivity
    {
        get => (Ina219PgaSensitivity)(ushort)_chip.PgaSensitivity;
        set => _chip.PgaSensitivity = (Binding.Ina219PgaSensitivity)(ushort)value;
    }

    /// <summary>Bus ADC resolution or averaging.</summary>
    public Ina219AdcResolutionOrSamples BusAdcResolutionOrSamples
    {
        get => FromBinding(_chip.BusAdcResolutionOrSamples);
        set => _chip.BusAdcResolutionOrSamples = ToBinding(value);
    }

    /// <summary>Shunt ADC resolution or averaging.</summary>
    public Ina219AdcResolutionOrSamples ShuntAdcResolutionOrSamples
    {
        get => FromBinding(_chip.ShuntAdcResolutionOrSamples);
        set => _chip.ShuntAdcResolutionOrSamples = ToBinding(value);
    }

    /// <summary>Operating mode.</summary>
    public Ina219OperatingMode OperatingMode
    {
        get => (Ina219OperatingMode)(ushort)_chip.OperatingMode;
        set => _chip.OperatingMode = (Binding.Ina219OperatingMode)(ushort)value;
    }

    /// <summary>Resets the chip to its power-on configuration (0x399F) and forgets the calibration.</summary>
    public void Reset()
    {
        _chip.Reset();
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
        _chip.SetCalibration(_calibration, (float)currentLsbAmperes);
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

            if ((ReadRegister(Ina219Register.BusVoltage) & 0x1) != 0)
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
        _chip.Dispose();
        if (_shouldDispose)
        {
            _device.Dispose();
        }
    }

    // The binding's ADC enum holds the 4-bit code at the shunt field's position (bits 3-6) and shifts it on for the bus
    // field; ours holds the bare code.
    private static Ina219AdcResolutionOrSamples FromBinding(Binding.Ina219AdcResolutionOrSamples value) =>
        (Ina219AdcResolutionOrSamples)(((ushort)value >> 3) & 0xF);

    private static Binding.Ina219AdcResolutionOrSamples ToBinding(Ina219AdcResolutionOrSamples value) =>
        (Binding.Ina219AdcResolutionOrSamples)(ushort)((ushort)value << 3);

    private void EnsureCalibrated()
    {
        if (_calibration == 0)
        {
            throw new InvalidOperationException("INA219 current and power need Calibrate(...) first");
        }
    }

    private ushort ReadRegister(Ina219Register register)
    {
        Span<byte> pointer = [(byte)register];
        Span<byte> value = stackalloc byte[2];
        _device.WriteRead(pointer, value);
        return BinaryPrimitives.ReadUInt16BigEndian(value);
    }
}

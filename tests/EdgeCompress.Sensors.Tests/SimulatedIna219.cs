using System.Buffers.Binary;
using System.Device.I2c;

namespace EdgeCompress.Sensors.Tests;

/// <summary>
/// An INA219 as the datasheet describes it: six big-endian 16-bit registers behind a register pointer; writing
/// one byte sets the pointer, three bytes write a register; the current and power registers are computed by the
/// chip from shunt voltage, bus voltage and calibration (datasheet equations 4 and 5).
/// </summary>
internal sealed class SimulatedIna219 : I2cDevice
{
    private readonly ushort[] _registers = new ushort[6];
    private byte _pointer;

    public SimulatedIna219() => PowerOn();

    public int WriteCount { get; private set; }

    public bool FailReads { get; set; }

    public override I2cConnectionSettings ConnectionSettings { get; } = new(1, Ina219.DefaultI2cAddress);

    public ushort this[Ina219Register register] => _registers[(int)register];

    /// <summary>What the analogue side sees: shunt voltage (10 µV/bit) and bus voltage (4 mV/bit).</summary>
    public void Apply(double shuntVolts, double busVolts, bool overflow = false)
    {
        _registers[(int)Ina219Register.ShuntVoltage] = (ushort)(short)Math.Round(shuntVolts / 10e-6);
        var bus = (ushort)(((int)Math.Round(busVolts / 4e-3) << 3) | 0x2 | (overflow ? 0x1 : 0));
        _registers[(int)Ina219Register.BusVoltage] = bus;
        Convert();
    }

    /// <summary>A brown-out: the chip comes back with power-on defaults and no calibration.</summary>
    public void PowerOn()
    {
        Array.Clear(_registers);
        _registers[(int)Ina219Register.Configuration] = 0x399F;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        WriteCount++;
        _pointer = buffer[0];
        if (buffer.Length == 3)
        {
            var value = BinaryPrimitives.ReadUInt16BigEndian(buffer[1..]);
            if (_pointer == (byte)Ina219Register.Configuration && (value & 0x8000) != 0)
            {
                PowerOn();
                return;
            }

            if (_pointer is (byte)Ina219Register.Configuration or (byte)Ina219Register.Calibration)
            {
                _registers[_pointer] = value;
                Convert();
            }
        }
    }

    public override void Read(Span<byte> buffer)
    {
        if (FailReads)
        {
            throw new IOException("Error 121 performing I2C data transfer (simulated)");
        }

        BinaryPrimitives.WriteUInt16BigEndian(buffer, _registers[_pointer]);
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        Read(readBuffer);
    }

    public override void WriteByte(byte value) => Write([value]);

    public override byte ReadByte()
    {
        Span<byte> two = stackalloc byte[2];
        Read(two);
        return two[0];
    }

    private void Convert()
    {
        var calibration = _registers[(int)Ina219Register.Calibration];
        var shunt = (short)_registers[(int)Ina219Register.ShuntVoltage];
        var current = (short)(shunt * calibration / 4096);
        var busBits = _registers[(int)Ina219Register.BusVoltage] >> 3;
        _registers[(int)Ina219Register.Current] = (ushort)current;
        _registers[(int)Ina219Register.Power] = (ushort)(Math.Abs(current) * busBits / 5000);
    }
}

using System.Text;

namespace Lrbs.Host.Parity;

/// <summary>Writes NumPy .npy v1.0 files of little-endian float32 in C order.</summary>
public static class Npy
{
    public static void Write(string path, int[] shape, float[] values)
    {
        var dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        var total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n"; // align the data to 64 bytes
        using var f = File.Create(path);
        f.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        f.Write(BitConverter.GetBytes((ushort)header.Length));
        f.Write(Encoding.Latin1.GetBytes(header));
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        f.Write(bytes);
    }
}

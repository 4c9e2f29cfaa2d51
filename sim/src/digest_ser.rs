//! Mixing a serde value straight into a [`Digest`]: a compact, positional
//! encoding (a tag byte per item, integers as little-endian bytes, strings
//! with their length, enum variants by index, field names left out), with
//! no text formatting and no allocation. The digest only has to tell runs
//! apart, not be read back, so this is all it needs; it is the simulator's
//! hottest path (every delivered message goes through it).

use crate::record::Digest;
use serde::ser::{self, Serialize};
use std::fmt;

/// Mixes `value` into `digest`. A `Serialize` impl that fails mixes its
/// error text in instead.
pub(crate) fn mix<T: Serialize + ?Sized>(digest: &mut Digest, value: &T) {
    let mut hasher = Hasher(digest);
    if let Err(e) = value.serialize(&mut hasher) {
        hasher.0.write(e.0.as_bytes());
    }
}

/// A failed `Serialize`, in words.
#[derive(Debug)]
pub(crate) struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

struct Hasher<'a>(&'a mut Digest);

/// Tags: what kind of item follows, so that different shapes with the
/// same bytes digest differently.
mod tag {
    pub const BOOL: u8 = 1;
    pub const INT: u8 = 2;
    pub const UINT: u8 = 3;
    pub const FLOAT: u8 = 4;
    pub const CHAR: u8 = 5;
    pub const STR: u8 = 6;
    pub const BYTES: u8 = 7;
    pub const NONE: u8 = 8;
    pub const SOME: u8 = 9;
    pub const UNIT: u8 = 10;
    pub const VARIANT: u8 = 11;
    pub const SEQ: u8 = 12;
    pub const MAP: u8 = 13;
    pub const STRUCT: u8 = 14;
    pub const END: u8 = 15;
}

impl Hasher<'_> {
    fn tagged(&mut self, tag: u8, bytes: &[u8]) {
        self.0.write(&[tag]);
        self.0.write(bytes);
    }

    fn len(&mut self, tag: u8, len: Option<usize>) {
        self.tagged(tag, &(len.map_or(u64::MAX, |l| l as u64)).to_le_bytes());
    }
}

impl<'a, 'b> ser::Serializer for &'b mut Hasher<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.tagged(tag::BOOL, &[u8::from(v)]);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.tagged(tag::INT, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.tagged(tag::INT, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.tagged(tag::UINT, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.tagged(tag::UINT, &v.to_le_bytes());
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.tagged(tag::FLOAT, &v.to_bits().to_le_bytes());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.tagged(tag::CHAR, &u32::from(v).to_le_bytes());
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.len(tag::STR, Some(v.len()));
        self.0.write(v.as_bytes());
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        self.len(tag::BYTES, Some(v.len()));
        self.0.write(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.tagged(tag::NONE, &[]);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        self.tagged(tag::SOME, &[]);
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.tagged(tag::UNIT, &[]);
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        index: u32,
        _variant: &'static str,
    ) -> Result<(), Error> {
        self.tagged(tag::VARIANT, &index.to_le_bytes());
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        index: u32,
        _variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.tagged(tag::VARIANT, &index.to_le_bytes());
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self, Error> {
        self.len(tag::SEQ, len);
        Ok(self)
    }
    fn serialize_tuple(self, len: usize) -> Result<Self, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Self, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        index: u32,
        _variant: &'static str,
        len: usize,
    ) -> Result<Self, Error> {
        self.tagged(tag::VARIANT, &index.to_le_bytes());
        self.serialize_seq(Some(len))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self, Error> {
        self.len(tag::MAP, len);
        Ok(self)
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Self, Error> {
        self.len(tag::STRUCT, Some(len));
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        index: u32,
        _variant: &'static str,
        len: usize,
    ) -> Result<Self, Error> {
        self.tagged(tag::VARIANT, &index.to_le_bytes());
        self.serialize_struct("", len)
    }
}

impl<'a, 'b> ser::SerializeSeq for &'b mut Hasher<'a> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Error> {
        self.tagged(tag::END, &[]);
        Ok(())
    }
}

impl<'a, 'b> ser::SerializeTuple for &'b mut Hasher<'a> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Error> {
        self.tagged(tag::END, &[]);
        Ok(())
    }
}

impl<'a, 'b> ser::SerializeTupleStruct for &'b mut Hasher<'a> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Error> {
        self.tagged(tag::END, &[]);
        Ok(())
    }
}

impl<'a, 'b> ser::SerializeTupleVariant for &'b mut Hasher<'a> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Error> {
        self.tagged(tag::END, &[]);
        Ok(())
    }
}

impl<'a, 'b> ser::SerializeMap for &'b mut Hasher<'a> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        key.serialize(&mut **self)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Error> {
        self.tagged(tag::END, &[]);
        Ok(())
    }
}

impl<'a, 'b> ser::SerializeStruct for &'b mut Hasher<'a> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(&mut **self)
    }
    fn skip_field(&mut self, _key: &'static str) -> Result<(), Error> {
        self.tagged(tag::NONE, &[]);
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        self.tagged(tag::END, &[]);
        Ok(())
    }
}

impl<'a, 'b> ser::SerializeStructVariant for &'b mut Hasher<'a> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(&mut **self)
    }
    fn skip_field(&mut self, _key: &'static str) -> Result<(), Error> {
        self.tagged(tag::NONE, &[]);
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        self.tagged(tag::END, &[]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest<T: Serialize>(v: &T) -> u64 {
        let mut d = Digest::default();
        mix(&mut d, v);
        d.value()
    }

    #[test]
    fn different_values_and_shapes_digest_differently() {
        assert_eq!(digest(&(1u64, "a")), digest(&(1u64, "a")));
        assert_ne!(digest(&(1u64, "a")), digest(&(2u64, "a")));
        assert_ne!(digest(&("ab", "c")), digest(&("a", "bc")));
        assert_ne!(digest(&Some(0u8)), digest(&None::<u8>));
        assert_ne!(digest(&1i64), digest(&1u64));
    }
}

import { isValidUid } from '@covseg/dicom';
import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';

/** True when `value` is a DICOM UID (PS3.5 §9.1, the library's rule): digits and dots, no leading zeros (`01.2` is malformed), at most 64 characters. */
export function isDicomUid(value: unknown): value is string {
  return typeof value === 'string' && isValidUid(value);
}

/**
 * A DTO field holding a DICOM UID. One decorator instead of `IsString`, `IsNotEmpty`, `MaxLength(64)` and a
 * pattern on every such field, so every UID field refuses the same values with the same message.
 */
export function IsDicomUid(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDicomUid',
      validator: {
        validate: (value: unknown) => isDicomUid(value),
        defaultMessage: buildMessage((each) => `${each}$property must be a DICOM UID (digits and dots, no leading zeros, at most 64 characters)`, options),
      },
    },
    options,
  );
}

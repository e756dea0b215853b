import { ValidationPipe } from '@nestjs/common';

/** The validation every admin and auth route uses: unknown fields are refused, not silently dropped. */
export const strictValidation = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });

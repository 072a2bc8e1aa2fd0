import { describe, expect, it } from 'vitest';
import { bcrypt, bcryptWith } from './bcrypt.ts';

describe('bcrypt', () => {
  it('matches OpenBSD test vectors', () => {
    expect(bcryptWith('U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.')).toBe('$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW');
    expect(bcryptWith('', '$2a$06$DCq7YPn5Rq63x1Lad4cll.')).toBe('$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.');
    expect(bcryptWith('abcdefghijklmnopqrstuvwxyz', '$2a$10$fVH8e28OQRj9tqiDXs1e1u')).toBe('$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq');
  });

  it('salts every hash and verifies with the salt it wrote', () => {
    const one = bcrypt('secret pw', 4);
    const two = bcrypt('secret pw', 4);
    expect(one).not.toBe(two);
    expect(one).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{53}$/);
    expect(bcryptWith('secret pw', one)).toBe(one);
    expect(bcryptWith('secret pX', one)).not.toBe(one);
  });
});
